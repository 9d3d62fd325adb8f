import { GatehouseError } from '@gatehouse-auth/core';
import { z } from 'zod';
import type { AppSettings, ServerContext } from '../context.js';

/** The app named in the URL, or `AppNotFound` with App Services' text. */
export function appOf(ctx: ServerContext, id: string): AppSettings {
  const app = ctx.config.apps.get(id);
  if (!app) throw new GatehouseError('AppNotFound', `cannot find app using Client App ID '${id.slice(0, 100)}'`);
  return app;
}

/** A string field of a request body, bounded (the core bounds it again by meaning). */
export const text = (max: number) => z.string().max(max);
