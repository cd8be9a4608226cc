import { describe, expect, it } from 'vitest';
import { parseTelemetry } from './gpu-telemetry.service';

describe('parseTelemetry', () => {
  it('reads nvidia-smi rows, and [N/A] as null', () => {
    const r = parseTelemetry('0, 87, 64\n1, [N/A], 41\n\nNo devices were found\n');
    expect(r.get(0)).toEqual({ utilizationPct: 87, temperatureC: 64 });
    expect(r.get(1)).toEqual({ utilizationPct: null, temperatureC: 41 });
    expect(r.size).toBe(2);
  });
});
