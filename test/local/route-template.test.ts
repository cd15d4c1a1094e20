import { describe, expect, it } from 'vitest';
import { compileRouteTemplate } from '../../src/local/http/route-template';
import { Router, type HttpRoute } from '../../src/local/http/router';

const route = (template: string, methods: string[] = ['GET']): HttpRoute => ({
  fn: { metadata: { name: template, bindings: {} }, callback: () => undefined },
  bindingName: 'request',
  route: compileRouteTemplate(template),
  methods,
  authLevel: 'anonymous',
});

describe('route templates', () => {
  it('matches literal segments case-insensitively and captures decoded parameters', () => {
    const compiled = compileRouteTemplate('runs/{runId}/checkpoints/{step:int}');
    expect(compiled.match('/RUNS/run%3A1/checkpoints/12')).toEqual({ runId: 'run:1', step: '12' });
    expect(compiled.match('/runs/r1/checkpoints/twelve')).toBeUndefined();
    expect(compiled.match('/runs/r1/checkpoints/12/extra')).toBeUndefined();
    expect(compiled.match('/runs/r1/checkpoints/12/')).toEqual({ runId: 'r1', step: '12' });
  });

  it('supports optional parameters, defaults and catch-alls', () => {
    expect(compileRouteTemplate('items/{id?}').match('/items')).toEqual({});
    expect(compileRouteTemplate('items/{id?}').match('/items/3')).toEqual({ id: '3' });
    expect(compileRouteTemplate('items/{page=1}').match('/items')).toEqual({ page: '1' });
    expect(compileRouteTemplate('files/{*path}').match('/files/a/b%20c/d')).toEqual({ path: 'a/b c/d' });
    expect(compileRouteTemplate('files/{name}.{ext}').match('/files/report.final.pdf')).toEqual({ name: 'report.final', ext: 'pdf' });
  });

  it('checks constraints', () => {
    const check = (constraint: string, value: string): boolean =>
      compileRouteTemplate(`x/{v:${constraint}}`).match(`/x/${encodeURIComponent(value)}`) !== undefined;
    expect(check('int', '-12')).toBe(true);
    expect(check('int', '2147483648')).toBe(false);
    expect(check('long', '9223372036854775807')).toBe(true);
    expect(check('bool', 'True')).toBe(true);
    expect(check('guid', '3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBe(true);
    expect(check('guid', 'nope')).toBe(false);
    expect(check('alpha', 'abc')).toBe(true);
    expect(check('alpha', 'ab1')).toBe(false);
    expect(check('double', '1.5')).toBe(true);
    expect(check('minlength(3)', 'ab')).toBe(false);
    expect(check('maxlength(3)', 'abc')).toBe(true);
    expect(check('length(2,3)', 'abcd')).toBe(false);
    expect(check('range(1,5)', '5')).toBe(true);
    expect(check('range(1,5)', '6')).toBe(false);
    expect(check('min(10)', '9')).toBe(false);
    expect(check('regex(^[a-z]{{2}}\\d$)', 'ab1')).toBe(true);
    expect(check('regex(^[a-z]{{2}}\\d$)', 'abc')).toBe(false);
    expect(check('int:min(5)', '7')).toBe(true);
    expect(check('int:min(5)', '3')).toBe(false);
  });

  it('rejects bad templates with a message that names the problem', () => {
    expect(() => compileRouteTemplate('a/{id?}/b')).toThrow(/optional parameter \{id\?\} must be the last segment/);
    expect(() => compileRouteTemplate('a/{x:nonsense}')).toThrow(/"nonsense" on \{x\} is not a supported route constraint/);
    expect(() => compileRouteTemplate('a/{x')).toThrow(/unbalanced/);
    expect(() => compileRouteTemplate('a/{x}/{X}')).toThrow(/appears twice/);
    expect(() => compileRouteTemplate('a/{1x}')).toThrow(/invalid parameter name/);
    expect(() => compileRouteTemplate('a//b')).toThrow(/empty path segment/);
  });
});

describe('router', () => {
  const router = new Router([
    route('runs/{runId}', ['GET', 'DELETE']),
    route('runs/list', ['GET']),
    route('runs/{runId}/cancel', ['POST']),
  ]);

  it('prefers literal segments over parameters', () => {
    const match = router.match('GET', '/runs/list');
    expect(match.kind === 'found' && match.route.route.template).toBe('runs/list');
    const byId = router.match('DELETE', '/runs/abc');
    expect(byId.kind === 'found' && byId.params).toEqual({ runId: 'abc' });
  });

  it('tells a wrong method (with the allowed ones) from a missing route', () => {
    expect(router.match('PUT', '/runs/abc')).toEqual({ kind: 'methodNotAllowed', allowed: ['DELETE', 'GET'] });
    expect(router.match('GET', '/runs/abc/cancel')).toEqual({ kind: 'methodNotAllowed', allowed: ['POST'] });
    expect(router.match('GET', '/nothing')).toEqual({ kind: 'notFound' });
  });
});
