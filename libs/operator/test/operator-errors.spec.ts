import { ThreadlineError } from '@threadline/core';
import { operatorOptionsProblems, SwaggerNotInstalledError } from '../src';

describe('operator errors and messages', () => {
  it('the OpenAPI refusal is its own ThreadlineError and says how to install swagger', () => {
    expect(SwaggerNotInstalledError.create()).toBeInstanceOf(ThreadlineError);
    expect(SwaggerNotInstalledError.create().message).toMatch(/npm install @nestjs\/swagger/);
  });

  it('every option problem names its option and what it takes', () => {
    const problems = operatorOptionsProblems({
      authorize: 'yes',
      path: 'audit/',
      coverageRefreshSeconds: 0,
      openApi: 'no',
      maxConcurrentExports: 0,
      exportStallSeconds: 0,
      allowVerbatimCsvFormulas: 1,
      signInUrl: 'javascript:alert(1)',
    } as never);
    expect(problems).toHaveLength(8);
    for (const problem of problems) expect(problem).toMatch(/^operator\.\w+ must /);
    expect(operatorOptionsProblems({} as never)).toEqual([
      'operator.authorize is required to mount the audit pages and routes: pass operator: { authorize: (request) => boolean } (for example, is the signed-in user an auditor?)',
    ]);
  });
});
