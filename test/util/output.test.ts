import { afterAll, describe, expect, it } from 'vitest';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { assertOutputIsNotInput, BufferedOutput, describeFileError } from '../../src/util/output.js';
import { CliError } from '../../src/codec/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(inputs: string[], output: string): CliError | null {
  try {
    assertOutputIsNotInput(inputs, output);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return e as CliError;
  }
}

describe('assertOutputIsNotInput', () => {
  const input = join(dir, 'in.pcap');
  writeFileSync(input, 'x');

  it('refuses the same path, also spelled relatively, with exit code 2', () => {
    const e = refusal([input], input);
    expect(e?.exitCode).toBe(2);
    expect(e?.message).toMatch(/is the same file as input/);
    expect(refusal([relative(process.cwd(), input)], input)).not.toBeNull();
    expect(refusal([input], join(dir, '.', 'sub', '..', 'in.pcap'))).not.toBeNull();
  });

  it('refuses a symlink to the input and a hard link of it', () => {
    const sym = join(dir, 'sym.pcap');
    const hard = join(dir, 'hard.pcap');
    symlinkSync(input, sym);
    linkSync(input, hard);
    expect(refusal([input], sym)).not.toBeNull();
    expect(refusal([sym], input)).not.toBeNull();
    expect(refusal([input], hard)).not.toBeNull();
  });

  it('accepts a different file, a new file and stdout', () => {
    const other = join(dir, 'other.pcap');
    writeFileSync(other, 'x');
    expect(refusal([input], other)).toBeNull();
    expect(refusal([input], join(dir, 'new.pcap'))).toBeNull();
    expect(refusal([input, '-'], '-')).toBeNull();
  });
});

describe('describeFileError', () => {
  it.each([
    ['ENOSPC', 'write', /^cannot write \/x\/o\.pcap: no space left on device$/],
    ['EACCES', 'write', /^cannot write \/x\/o\.pcap: permission denied$/],
    ['EROFS', 'write', /^cannot write \/x\/o\.pcap: read-only file system$/],
    ['ENOENT', 'write', /^cannot write \/x\/o\.pcap: directory \/x does not exist$/],
    ['ENOENT', 'read', /^cannot read \/x\/o\.pcap: no such file$/],
    ['EWHATEVER', 'read', /^cannot read \/x\/o\.pcap: boom$/],
  ] as const)('%s on %s is a one-line CliError naming the path', (code, action, message) => {
    const err = Object.assign(new Error('boom'), { code });
    const e = describeFileError(err, '/x/o.pcap', action);
    expect(e).toBeInstanceOf(CliError);
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(message);
  });

  it('a directory where writing is refused gives EACCES as a CliError (uses /sys, which refuses even root)', () => {
    // chmod does not stop root, so a read-only directory made by the test would not fail here;
    // sysfs refuses file creation to everyone, root included.
    let caught: unknown = null;
    try {
      BufferedOutput.create('/sys/toa-test-output.pcap');
    } catch (e) {
      caught = e;
    }
    if (caught === null) {
      console.log('[output] /sys accepted a new file on this system; EACCES case not exercised');
      return;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).message).toMatch(/^cannot write \/sys\/toa-test-output\.pcap: (permission denied|read-only file system)$/);
  });
});

describe('BufferedOutput', () => {
  it('buffers, writes large items directly, and renames on close', () => {
    const path = join(dir, 'buffered.bin');
    const out = BufferedOutput.create(path, 64);
    const small = Uint8Array.from({ length: 40 }, (_, i) => i);
    const big = Uint8Array.from({ length: 200 }, (_, i) => 255 - (i & 0xff));
    out.writeBytes(small);
    out.writeBytes(big);
    out.ensure(4);
    out.view.setUint32(out.position, 0xdeadbeef, false);
    out.position += 4;
    out.close();
    const got = readFileSync(path);
    expect(got.length).toBe(244);
    expect(Array.from(got.subarray(0, 40))).toEqual(Array.from(small));
    expect(Array.from(got.subarray(40, 240))).toEqual(Array.from(big));
    expect(got.readUInt32BE(240)).toBe(0xdeadbeef);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('stdout: EPIPE ends output quietly (child process writing into `head -c 10`)', () => {
    const script = `
      import('${join(process.cwd(), 'dist/util/output.js').replace(/\\/g, '/')}').then(({ BufferedOutput }) => {
        const out = BufferedOutput.create('-', 4096);
        const chunk = new Uint8Array(4096).fill(65);
        let i = 0;
        for (; i < 10000 && !out.brokenPipe; i++) out.writeBytes(chunk);
        out.close();
        process.stderr.write('brokenPipe=' + out.brokenPipe + ' after ' + i + '\\n');
      });`;
    const built = readdirSync(join(process.cwd(), 'dist', 'util')).includes('output.js');
    if (!built) {
      console.log('[output] dist/util/output.js not built (run npx tsc -p tsconfig.json); EPIPE case skipped');
      return;
    }
    const r = spawnSync('bash', ['-c', `node -e "$SCRIPT" | head -c 10 > /dev/null`], { env: { ...process.env, SCRIPT: script }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/brokenPipe=true after \d+/);
  });
});

describe('BufferedOutput with asyncWrites', () => {
  /** Deterministic bytes: item i of length n. */
  function item(i: number, n: number): Uint8Array {
    return Uint8Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 0xff);
  }

  it('writes every byte in order across pooled buffers (small items, items larger than a buffer, ensure), with drain() between batches', async () => {
    const path = join(dir, 'async.bin');
    const out = BufferedOutput.create(path, 64, { asyncWrites: true });
    const expected: number[] = [];
    let sawPromise = false;
    for (let batch = 0; batch < 50; batch++) {
      for (let k = 0; k < 7; k++) {
        const i = batch * 7 + k;
        const bytes = item(i, (i * 13) % 150); // 0..149 bytes: some larger than the 64-byte buffer
        out.writeBytes(bytes);
        bytes.fill(0xee); // the caller reuses its bytes at once: what was handed over must not change
        expected.push(...item(i, (i * 13) % 150));
        out.ensure(4);
        out.view.setUint32(out.position, i, false);
        out.position += 4;
        expected.push((i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
      }
      const wait = out.drain();
      if (wait !== undefined) {
        sawPromise = true;
        await wait;
      }
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('.async.bin'))).toHaveLength(1); // the temporary file, not renamed yet
    await out.closeAsync();
    const got = readFileSync(path);
    expect(got.length).toBe(expected.length);
    expect(Buffer.compare(got, Buffer.from(expected))).toBe(0);
    expect(sawPromise, 'with 64-byte buffers some batch leaves more than two buffers in flight').toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('borrow(): borrowed arrays go out in order with the buffered bytes around them, not copied, and released() settles only once they are written', async () => {
    for (const asyncWrites of [false, true]) {
      const path = join(dir, `borrow-${asyncWrites}.bin`);
      const out = BufferedOutput.create(path, 64, { asyncWrites });
      const expected: number[] = [];
      const borrowed: Uint8Array[] = [];
      for (let batch = 0; batch < 30; batch++) {
        for (let k = 0; k < 5; k++) {
          const i = batch * 5 + k;
          const own = item(i, (i * 11) % 90); // some larger than the 64-byte buffer
          out.writeBytes(own);
          expected.push(...own);
          const lent = item(1000 + i, 1 + ((i * 29) % 200));
          out.borrow(lent);
          borrowed.push(lent);
          expected.push(...lent);
        }
        // sync: not copied, so a change before commit() shows in the file
        borrowed.at(-1)![0] = 0x5a;
        expected[expected.length - borrowed.at(-1)!.length] = 0x5a;
        out.commit();
        const released = out.released();
        if (!asyncWrites) expect(released).toBeUndefined();
        else expect(released).toBeInstanceOf(Promise);
        await released;
        for (const b of borrowed) b.fill(0xee); // free again: what was written must not change
        borrowed.length = 0;
        await out.drain();
      }
      await out.closeAsync();
      expect(Buffer.compare(readFileSync(path), Buffer.from(expected))).toBe(0);
    }
  });

  it('stdout and devices ignore asyncWrites: drain() has nothing to wait for', () => {
    const out = BufferedOutput.create('/dev/null', 64, { asyncWrites: true });
    out.writeBytes(item(1, 1000));
    expect(out.drain()).toBeUndefined();
    out.close();
  });

  it('abort() while writes are queued removes the temporary file and leaves no output', async () => {
    const path = join(dir, 'async-abort.bin');
    const out = BufferedOutput.create(path, 64, { asyncWrites: true });
    for (let i = 0; i < 40; i++) out.writeBytes(item(i, 100));
    out.abort();
    expect(readdirSync(dir).filter((n) => n.includes('async-abort'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 50)); // the write in flight returns and releases the descriptor
    expect(readdirSync(dir).filter((n) => n.includes('async-abort'))).toEqual([]);
  });

  it('a full file system: the write error comes back from drain()/closeAsync() as one CliError, and the temporary file is gone', async (ctx) => {
    const mnt = join(dir, 'small-fs');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      console.log(`[output] full file system case SKIPPED: cannot mount a small tmpfs (${m.stderr.trim()})`);
      ctx.skip();
      return;
    }
    try {
      const path = join(mnt, 'full.bin');
      const out = BufferedOutput.create(path, 4096, { asyncWrites: true });
      let error: unknown = null;
      try {
        for (let i = 0; i < 100; i++) {
          out.writeBytes(item(i, 4096)); // 400 kB into 64 kB
          await out.drain();
        }
        await out.closeAsync();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).message).toBe(`cannot write ${path}: no space left on device`);
      expect(readdirSync(mnt)).toEqual([]);
      // the error came once no write was in flight: the descriptor is closed, so the file system can go
      const u = spawnSync('umount', [mnt], { encoding: 'utf8' });
      expect(u.status, u.stderr).toBe(0);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
