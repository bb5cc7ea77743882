import { describe, expect, it } from 'vitest';
import { createDetector, detectRole } from './detect.js';

describe('detectRole', () => {
  it.each([
    ['Implement POST /login in the API server', 'backend'],
    ['Add a React component for the login form', 'frontend'],
    ['Raise pytest coverage of the parser', 'tests'],
    ['Write a migration for the users schema', 'database'],
    ['Audit the auth flow for security holes', 'security'],
    ['Rename a variable', undefined],
  ])('%s -> %s', (text, role) => {
    expect(detectRole(text)).toBe(role);
  });

  it('counts words: more hits win, and a tie goes to the more specific role', () => {
    expect(detectRole('Add a SQL migration and a schema for the database')).toBe('database');
    expect(detectRole('Write tests for the API')).toBe('tests');
    expect(detectRole('Add auth to the API server endpoint')).toBe('backend');
  });

  it('matches whole words only', () => {
    expect(detectRole('capitalize the author name in the guide')).toBeUndefined();
  });
});

describe('createDetector', () => {
  const detect = createDetector({
    matchers: [{ name: 'backend-architect', match: [/architect/i, /\bdesign\b/i] }],
    defaultAgent: 'claude-code',
  });

  it('prefers a profile whose own patterns match, then the role, then the default', () => {
    expect(detect({ id: 'a', prompt: 'Design the login API' })).toBe('backend-architect');
    expect(detect({ id: 'b', prompt: 'Fix it', title: 'Login API endpoint' })).toBe('backend');
    expect(detect({ id: 'c', prompt: 'Fix it', acceptance: ['coverage stays above 90%'] })).toBe('tests');
    expect(detect({ id: 'd', prompt: 'Tidy the README' })).toBe('claude-code');
  });
});
