/**
 * The request validation pipe: class-validator over the DTOs, tolerant of unknown vendor fields,
 * answering the first problem as a 400 that names the field.
 */
import { ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors, invalidField } from '@app/core';

export const openAIValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: false,
  forbidNonWhitelisted: false,
  forbidUnknownValues: false,
  exceptionFactory: (errors) => {
    const first = flattenValidationErrors(errors)[0] ?? 'body: invalid request';
    return invalidField(first.split(':')[0] ?? 'body', first);
  },
});
