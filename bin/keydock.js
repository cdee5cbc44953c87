#!/usr/bin/env node
// The launcher's name before it became CommonJS (./keydock.cjs): login-agent units and shell
// aliases written by earlier versions start this path, so it stays and hands over.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./keydock.cjs');
