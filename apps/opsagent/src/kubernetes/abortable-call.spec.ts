import { HttpMethod, RequestContext, type ConfigurationOptions } from '@kubernetes/client-node';
import { abortableCall } from './abortable-call';

describe('abortableCall', () => {
  it('hands the signal to the HTTP request and resolves with the answer', async () => {
    const abort = new AbortController();
    let options: ConfigurationOptions | undefined;
    const sut = await abortableCall(abort.signal, (o) => {
      options = o;
      return Promise.resolve('answer');
    });
    expect(sut).toBe('answer');
    expect(options?.middlewareMergeStrategy).toBe('append');
    const context = new RequestContext('http://127.0.0.1/api', HttpMethod.GET);
    const [middleware] = options?.middleware ?? [];
    await middleware.pre(context).toPromise();
    expect(context.getSignal()).toBe(abort.signal);
  });

  it('rejects with the reason as soon as the signal aborts, even if the call never settles', async () => {
    const abort = new AbortController();
    const sut = abortableCall(abort.signal, () => new Promise<never>(() => undefined));
    abort.abort(new Error('no answer within 5 ms'));
    await expect(sut).rejects.toThrow('no answer within 5 ms');
  });

  it('does not start the call when the signal has already aborted', async () => {
    let started = false;
    const sut = abortableCall(AbortSignal.abort(new Error('too late')), () => {
      started = true;
      return Promise.resolve(1);
    });
    await expect(sut).rejects.toThrow('too late');
    expect(started).toBe(false);
  });

  it('passes the error of the call on', async () => {
    const sut = abortableCall(new AbortController().signal, () => Promise.reject(new Error('HTTP 500')));
    await expect(sut).rejects.toThrow('HTTP 500');
  });
});
