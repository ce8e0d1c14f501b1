import { gotText, ThreadlineError } from '@threadline/core';
import { InvalidQueryError } from '@threadline/query';

// Every failure of the export lib: one class per kind, each message written once here, by a static factory,
// and saying what is allowed. An InvalidExportOptionError is an InvalidQueryError: the operator routes answer 400.

/** An export option (format, maxRows, pageRows, csvFormulas) is not acceptable. */
export class InvalidExportOptionError extends InvalidQueryError {
  static format(formats: readonly string[], value: unknown) {
    return new this(`format must be one of ${formats.join(', ')} ${gotText(value)}`);
  }
  static positiveInteger(option: 'maxRows' | 'pageRows', value: unknown) {
    return new this(`${option} must be a positive integer ${gotText(value)}`);
  }
  static csvFormulas(modes: readonly string[], value: unknown) {
    return new this(`csvFormulas must be one of ${modes.join(', ')} ${gotText(value)}`);
  }
  static verbatimNotAllowed() {
    return new this(
      'csvFormulas=verbatim is not allowed on this server: CSV cells that start with = + - @, a tab or a carriage return keep their leading apostrophe. Leave csvFormulas out, or set operator.allowVerbatimCsvFormulas: true for trusted machine consumers',
    );
  }
}

/** `verify-export` cannot check a file, or found it differs from its manifest or the chain. */
export class ExportCheckError extends ThreadlineError {
  static missing(what: string, path: string) {
    return new this(`${what} ${path} does not exist`);
  }
  static notJson(path: string, reason: string) {
    return new this(`manifest ${path} is not JSON: ${reason}`);
  }
  static notAManifest(path: string) {
    return new this(
      `manifest ${path} is not a Threadline export manifest (manifest_version 1 with bytes, sha256 and sealed_through)`,
    );
  }
  static failed(problems: string[]) {
    return new this(`verify-export failed:\n  - ${problems.join('\n  - ')}`);
  }
}
