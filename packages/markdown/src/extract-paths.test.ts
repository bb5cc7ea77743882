import { describe, expect, it } from 'vitest';
import { extractPaths } from './extract-paths';

describe('extractPaths', () => {
  it.each<[string, string[]]>([
    ['Create User model in src/models/user.py', ['src/models/user.py']],
    ['Build the form in src/components/Login.tsx.', ['src/components/Login.tsx']],
    ['Run ./scripts/setup.sh first', ['scripts/setup.sh']],
    ['Edit ./a/b.py and ./build.sh', ['a/b.py', 'build.sh']],
    ['Fix the import (see src/api/index.ts), then test', ['src/api/index.ts']],
    ['Update `package.json` and `tsconfig.json`', ['package.json', 'tsconfig.json']],
    ['Add a `Makefile` and a `Dockerfile.dev`', ['Makefile', 'Dockerfile.dev']],
    ['Copy `.env.example` to `.env`', ['.env.example', '.env']],
    ['Add lint targets to the Makefile', []],
    ['Write docs in docs/ and tests/unit/', ['docs/', 'tests/unit/']],
    ['Tests in `tests/contract/test_login.py`', ['tests/contract/test_login.py']],
    ['Containers in deploy/Dockerfile', ['deploy/Dockerfile']],
    ['CI in .github/workflows/ci.yml', ['.github/workflows/ci.yml']],
    ['All files matching src/**/*.ts', ['src/**/*.ts']],
    ['The error is at src/app.ts:42:7', ['src/app.ts']],
    ['Quote "src/quoted.ts", then **src/bold.ts**', ['src/quoted.ts', 'src/bold.ts']],
    ['Same file twice: src/a.ts and ./src/a.ts', ['src/a.ts']],
    ['In order: b/second.ts then `a/first.ts`', ['b/second.ts', 'a/first.ts']],
    // What is not a path.
    ['See https://example.com/docs/page.html for details', []],
    ['Also example.com/assets/app.js', []],
    ['Mail admin@example.com or ops@corp.io/x.js', []],
    ['Upgrade to v1.2.3 (or 1.2.3, or `v2.0.1`)', []],
    ['Use a cache, e.g. Redis, i.e. in memory, etc.', []],
    ['Write N/A when unknown, and/or leave it blank', []],
    ['Half the rows: 1/2 of them, or 3/4.5 at most', []],
    ['Initialize the TypeScript/Node.js project', []],
    ['Read `process.env` and call `console.log`', []],
    ['Use `user.name` and `req.body`', []],
    ['Absolute /etc/hosts and home ~/notes/todo.md are outside', []],
    ['Never climb: ../other/file.ts', []],
    ['POST /api/users returns 201', []],
    ['Windows paths like src\\app\\main.ts are not read', []],
    ['Code `fn(a/b.ts)` and `x = a/b.ts` is code', []],
    ['Sentence ends here.', []],
    ['[P:Group-api] marker only', []],
    ['A link [docs](docs/guide.md) target', []],
  ])('%s', (text, expected) => {
    expect(extractPaths(text)).toEqual(expected);
  });
});
