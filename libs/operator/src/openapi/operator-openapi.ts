import { INestApplication, Type } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { type OpenAPIObject } from '@nestjs/swagger';
import { installedSwagger } from './swagger';
import { SwaggerNotInstalledError } from '../operator.errors';

/**
 * The OpenAPI document of the operator module's JSON routes, built by
 * @nestjs/swagger from the decorators on its controllers and DTOs, once, on
 * first request. SwaggerModule.createDocument scans an application; a module
 * has no application object, so this hands it the three parts of one it
 * reads (the module container, the app's config for the global prefix, the
 * HTTP adapter), and only the operator module is included. The paths carry
 * the global prefix and `operator.path`, as the routes answer.
 */
export class OperatorOpenApi {
  private document?: OpenAPIObject;

  constructor(
    private readonly module: Type<unknown>,
    private readonly modules: ModulesContainer,
    private readonly config: ApplicationConfig,
    private readonly adapter: HttpAdapterHost,
  ) {}

  get(): OpenAPIObject {
    const swagger = installedSwagger();
    if (!swagger) throw SwaggerNotInstalledError.create(); // refused at boot already (operatorOptionsProblems)
    const { DocumentBuilder, SwaggerModule } = swagger;
    this.document ??= SwaggerModule.createDocument(
      {
        container: { getModules: () => this.modules, isGlobalModule: () => false },
        config: this.config,
        getHttpAdapter: () => this.adapter.httpAdapter,
      } as unknown as INestApplication,
      new DocumentBuilder()
        .setTitle('Threadline audit API')
        .setDescription(
          'Audit changes (timeline, one row’s history, one transaction, exports) and the coverage, redaction and integrity reports. Every route is behind the app’s operator.authorize; refusals answer { statusCode, error, message }.',
        )
        .setVersion('1')
        .build(),
      { include: [this.module] },
    );
    return this.document;
  }
}
