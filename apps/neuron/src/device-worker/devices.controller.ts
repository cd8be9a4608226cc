/**
 * POST /devices/:id/recycle: a planned restart of one device's worker (the gateway's defragmentation
 * after many load/unload cycles). Refused with 409 while the device has work in flight.
 */
import { Controller, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { AdminGuard } from '../http/admin.guard';
import { NeuronHttpError } from '../http/neuron-http-error';
import { OpenAIErrorFilter } from '../http/openai-error.filter';
import { DeviceWorkerService } from './device-worker.service';

@Controller('devices')
@UseFilters(OpenAIErrorFilter)
export class DevicesController {
  constructor(private readonly devices: DeviceWorkerService) {}

  @Post(':id/recycle')
  @HttpCode(200)
  @UseGuards(AdminGuard)
  async recycle(@Param('id') id: string) {
    const sup = this.devices.get(id);
    if (!sup) throw new NeuronHttpError(404, 'invalid_request_error', `no device "${id}"`, 'not_found', 'id');
    if (sup.busy > 0) {
      throw new NeuronHttpError(
        409,
        'invalid_request_error',
        `device ${id} has ${sup.busy} request(s) in flight`,
        'device_busy',
        'id',
      );
    }
    await sup.recycle();
    await sup.whenReady();
    return { id, state: sup.state, pid: sup.pid ?? null, models: sup.models };
  }
}
