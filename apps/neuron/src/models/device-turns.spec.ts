import { describe, expect, it } from 'vitest';
import { DeviceTurns } from './device-turns';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe(DeviceTurns.name, () => {
  it('runs one device’s turns one after another, even when one fails, and other devices alongside', async () => {
    const sut = new DeviceTurns();
    const log: string[] = [];
    const turn = (device: string, name: string, fail = false) =>
      sut.take(device, async () => {
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([turn('cpu', 'a', true), turn('cpu', 'b'), turn('gpu', 'c')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(log.indexOf('b+')).toBeGreaterThan(log.indexOf('a-'));
    expect(log.indexOf('c+')).toBeLessThan(log.indexOf('a-'));
  });
});
