import { describe, expect, test } from 'vitest';
import { defaultConfig, defineConfig } from './config.js';
import { GuildError } from './errors.js';
import { PluginHost } from './host.js';
import { assertPlugin, definePlugin, type GuildPlugin } from './plugin.js';
import type { Runner } from './types.js';

const quiet = () => ({ info() {}, warn() {}, error() {}, debug() {} });

describe('PluginHost', () => {
  test('wrapRunners wraps every runner, also those registered later, first wrapper innermost', async () => {
    const tag = (label: string) => (inner: Runner): Runner => ({ name: inner.name, start: (t, c) => ({ ...inner.start(t, c), pid: undefined, label: `${label}(${(inner.start(t, c) as { label?: string }).label ?? inner.name})` }) as never });
    const plain: Runner = { name: 'agent-x', start: () => ({ label: 'agent-x' }) as never };
    const host = new PluginHost(
      defaultConfig(),
      [
        { name: 'iso', apiVersion: 1, setup: (api) => api.wrapRunners(tag('iso')) },
        { name: 'outer', apiVersion: 1, setup: (api) => api.wrapRunners(tag('outer')) },
        { name: 'agents', apiVersion: 1, setup: (api) => api.addRunner(plain) },
      ],
      { root: '/', logger: quiet },
    );
    await host.setup();
    const started = host.runners.get('agent-x')!.start({} as never, {} as never) as unknown as { label: string };
    expect(started.label).toBe('outer(iso(agent-x))');
    expect(host.runners.get('shell')!.name).toBe('shell');
  });

  test('estimators: the first with a positive answer wins; run-end hooks run in setup order', async () => {
    const ended: string[] = [];
    const plugin = (name: string, answer: (id: string) => number | undefined): GuildPlugin => ({
      name,
      apiVersion: 1,
      setup(api) {
        expect(api.projectRoot).toBe('/project');
        api.addEstimator((spec) => answer(spec.id));
        api.onRunEnd((run) => {
          ended.push(`${name} ${run.runId}`);
        });
      },
    });
    const host = new PluginHost(
      defaultConfig(),
      [plugin('a', (id) => (id === 'x' ? 5 : id === 'z' ? 0 : undefined)), plugin('b', () => 7)],
      { root: '/project/sub', projectRoot: '/project', logger: quiet },
    );
    await host.setup();
    expect(host.estimate({ id: 'x' })).toBe(5);
    expect(host.estimate({ id: 'y' })).toBe(7);
    expect(host.estimate({ id: 'z' })).toBe(7);
    await host.runEnded({ runId: 'r1' } as never);
    expect(ended).toEqual(['a r1', 'b r1']);
  });


  test('setup runs pre, normal, post in config order; teardown in reverse', async () => {
    const calls: string[] = [];
    const p = (name: string, enforce?: 'pre' | 'post'): GuildPlugin => ({
      name,
      apiVersion: 1,
      enforce,
      setup: async () => {
        await new Promise((r) => setTimeout(r, 1));
        calls.push(`setup ${name}`);
      },
      teardown: () => {
        calls.push(`teardown ${name}`);
      },
    });
    const host = new PluginHost(defaultConfig(), [p('a'), p('late', 'post'), p('b'), p('early', 'pre')], {
      root: '/',
      logger: quiet,
    });
    await host.setup();
    await host.teardown();
    expect(calls).toEqual([
      'setup early',
      'setup a',
      'setup b',
      'setup late',
      'teardown late',
      'teardown b',
      'teardown a',
      'teardown early',
    ]);
  });

  test('a failing hook is reported with the plugin and hook; earlier plugins are still torn down', async () => {
    const torn: string[] = [];
    const host = new PluginHost(
      defaultConfig(),
      [
        { name: 'ok', apiVersion: 1, teardown: () => void torn.push('ok') },
        {
          name: 'broken',
          apiVersion: 1,
          setup: () => {
            throw new Error('no database');
          },
          teardown: () => void torn.push('broken'),
        },
        { name: 'never', apiVersion: 1, teardown: () => void torn.push('never') },
      ],
      { root: '/', logger: quiet },
    );
    const error = await host.setup().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuildError);
    expect((error as GuildError).message).toBe('plugin broken failed in setup: no database');
    expect((error as GuildError).cause).toBeInstanceOf(Error);
    await host.teardown();
    expect(torn).toEqual(['broken', 'ok']);
  });

  test('what plugins register is available to the command', async () => {
    const factory = definePlugin((opts: { label: string }) => ({
      name: `guild-plugin-${opts.label}`,
      apiVersion: 1,
      setup(api) {
        api.addRunner({ name: 'echo-agent', start: () => ({ done: Promise.resolve({ outcome: 'succeeded' }), stop() {} }) });
        api.addSource({ name: 'tickets', load: async () => ({ specs: [] }) });
        api.onEvent(() => {});
        api.addCommand({ name: 'hello', description: 'says hello', action: () => 0 });
        api.addAccessControl({ name: 'nothing', tryGrant: (t) => ({ grant: { taskId: t.id } }), release() {} });
        expect(api.config.concurrency).toBe(3);
        expect(api.root).toBe('/proj');
      },
    }));
    const config = { ...defaultConfig(), ...defineConfig({ concurrency: 3 }) } as ReturnType<typeof defaultConfig>;
    const host = new PluginHost(config, [factory({ label: 'x' })], { root: '/proj', logger: quiet });
    await host.setup();
    expect(host.names).toEqual(['guild-plugin-x']);
    expect([...host.runners.keys()]).toEqual(['shell', 'echo-agent']);
    expect(host.sourceFor('tickets')?.name).toBe('tickets');
    expect(host.sourceFor('plan.yml')?.name).toBe('plan');
    expect(host.commands.map((c) => `${c.plugin}:${c.name}`)).toEqual(['guild-plugin-x:hello']);
    expect(host.listeners).toHaveLength(1);
    expect(host.accessControls.map((c) => c.name)).toEqual(['nothing']);
  });
});

describe('assertPlugin', () => {
  test.each([
    [null, 'is not a plugin'],
    [{ apiVersion: 1 }, 'has no "name"'],
    [{ name: 'x', apiVersion: 2 }, 'written for plugin API 2'],
    [{ name: 'x', apiVersion: 1, setup: 'yes' }, '"setup" must be a function'],
    [{ name: 'x', apiVersion: 1, enforce: 'first' }, '"enforce" must be "pre" or "post"'],
  ])('%j is refused', (value, message) => {
    expect(() => assertPlugin(value, 'plugins[0]')).toThrow(message);
  });
});
