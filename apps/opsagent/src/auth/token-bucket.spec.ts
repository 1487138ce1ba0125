import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then one token per 1/rate seconds, and says how long to wait', () => {
    let now = 1_000_000;
    const sut = new TokenBucket(4, 4, () => now);
    expect([sut.take(), sut.take(), sut.take(), sut.take()]).toEqual([0, 0, 0, 0]);
    expect(sut.take()).toBe(250);
    now += 100;
    expect(sut.take()).toBe(150);
    now += 150;
    expect(sut.take()).toBe(0);
    expect(sut.take()).toBe(250);
  });

  it('saves no more than the burst', () => {
    let now = 0;
    const sut = new TokenBucket(10, 2, () => now);
    now += 60_000;
    expect([sut.take(), sut.take()]).toEqual([0, 0]);
    expect(sut.take()).toBeGreaterThan(0);
  });
});
