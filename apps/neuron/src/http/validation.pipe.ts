/**
 * The request validation pipe: class-validator over the DTOs, tolerant of unknown vendor fields,
 * answering the first problem as a 400 that names the field.
 */
import { ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors } from '@app/core';
import { badRequest } from './neuron-http-error';

export const openAIValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: false,
  forbidNonWhitelisted: false,
  forbidUnknownValues: false,
  exceptionFactory: (errors) => {
    const first = flattenValidationErrors(errors)[0] ?? 'body: invalid request';
    return badRequest(first, first.split(':')[0] ?? null);
  },
});
