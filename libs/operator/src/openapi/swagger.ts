import type * as Swagger from '@nestjs/swagger' with { 'resolution-mode': 'import' };

/**
 * @nestjs/swagger is an optional peer: only apps that serve the OpenAPI
 * document (`operator.openApi: true`) need it installed. Its decorators are
 * taken from it when it is there and are no-ops when it is not, so the
 * routes and DTOs load either way.
 */
function load(): typeof Swagger | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@nestjs/swagger') as typeof Swagger;
  } catch {
    return undefined;
  }
}

const swagger = load();

/** The installed @nestjs/swagger, or undefined. */
export const installedSwagger = (): typeof Swagger | undefined => swagger;

const none = (() => () => undefined) as never;

export const ApiBadRequestResponse: typeof Swagger.ApiBadRequestResponse = swagger?.ApiBadRequestResponse ?? none;
export const ApiExcludeController: typeof Swagger.ApiExcludeController = swagger?.ApiExcludeController ?? none;
export const ApiExcludeEndpoint: typeof Swagger.ApiExcludeEndpoint = swagger?.ApiExcludeEndpoint ?? none;
export const ApiForbiddenResponse: typeof Swagger.ApiForbiddenResponse = swagger?.ApiForbiddenResponse ?? none;
export const ApiOkResponse: typeof Swagger.ApiOkResponse = swagger?.ApiOkResponse ?? none;
export const ApiOperation: typeof Swagger.ApiOperation = swagger?.ApiOperation ?? none;
export const ApiParam: typeof Swagger.ApiParam = swagger?.ApiParam ?? none;
export const ApiProduces: typeof Swagger.ApiProduces = swagger?.ApiProduces ?? none;
export const ApiProperty: typeof Swagger.ApiProperty = swagger?.ApiProperty ?? none;
export const ApiPropertyOptional: typeof Swagger.ApiPropertyOptional = swagger?.ApiPropertyOptional ?? none;
export const ApiServiceUnavailableResponse: typeof Swagger.ApiServiceUnavailableResponse =
  swagger?.ApiServiceUnavailableResponse ?? none;
export const ApiTags: typeof Swagger.ApiTags = swagger?.ApiTags ?? none;
