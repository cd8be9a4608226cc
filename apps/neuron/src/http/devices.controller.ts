/**
 * POST /devices/:id/recycle: a planned restart of one device's worker (the gateway's defragmentation
 * after many load/unload cycles). Refused with 409 while the device has work in flight.
 */
import { Controller, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { CortexError, type RecycleResponse } from '@app/core';
import { OpenAIErrorFilter } from './openai-error.filter';
import { DeviceWorkerService } from '../device-worker/device-worker.service';

@Controller('devices')
@UseFilters(OpenAIErrorFilter)
export class DevicesController {
  constructor(private readonly devices: DeviceWorkerService) {}

  @Post(':id/recycle')
  @HttpCode(200)
  async recycle(@Param('id') id: string): Promise<RecycleResponse> {
    const sup = this.devices.get(id);
    if (!sup) throw new CortexError('device_not_found', `no device "${id}"`, { param: 'id' });
    if (sup.busy > 0) {
      throw new CortexError('device_busy', `device ${id} has ${sup.busy} request(s) in flight`, { param: 'id' });
    }
    await sup.recycle();
    await sup.whenReady();
    return { id, state: sup.state, pid: sup.pid ?? null, models: sup.models };
  }
}
