/** Types for layers.js (plain JavaScript so eslint.config.js can load it without a build). */
export interface Layer {
  name: string;
  rank: number;
  dirs: string[];
}
export const LAYERS: Layer[];
export function layerOf(relPath: string): Layer | null;
export function layerViolation(fromRel: string, toRel: string): string | null;
