import { z } from 'zod';

/** A channel pairs the request schema with the schema of the value inside the Result. */
export interface ChannelDef<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  req: Req;
  res: Res;
}

/** Declares a channel; exists so every domain file builds its table the same typed way. */
export function channel<Req extends z.ZodType, Res extends z.ZodType>(req: Req, res: Res): ChannelDef<Req, Res> {
  return { req, res };
}

export const Empty = z.object({}).strict();
export const Done = z.object({ done: z.literal(true) });
/** An agent is chosen by id from discovery; omitted = the one KeyDock manages now. */
export const AgentRef = z.object({ agentId: z.string().max(512).optional() });
