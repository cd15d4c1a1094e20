import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { App } from '../../config';
import { getApp } from './app-instance';
import { errorResponse } from './responses';

/** Wraps a route so every failure becomes the JSON error shape with the right status. */
export function route(handler: (request: HttpRequest, app: App, context: InvocationContext) => Promise<HttpResponseInit>): HttpHandler {
  return async (request, context) => {
    try {
      return await handler(request, getApp(), context);
    } catch (error) {
      return errorResponse(error, context);
    }
  };
}
