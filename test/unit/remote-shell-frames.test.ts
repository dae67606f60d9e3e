import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeRequest, FrameReader, newBoundary } from '../../src/connection/remote-shell.js';

const B = 'play-0123456789abcdef0123456789abcdef';

function feed(reader: FrameReader, chunks: (string | Buffer)[]): boolean[] {
  return chunks.map((c) => reader.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c));
}

test('a reply in one chunk: body before the boundary, the exit code after it', () => {
  const reader = new FrameReader(Buffer.from(B));
  assert.equal(feed(reader, [`hello\n${B} 3\n`]), [true]);
  assert.is(reader.done!.body.toString(), 'hello\n');
  assert.is(reader.done!.trailer, ' 3');
});

test('the boundary split across chunks, byte by byte, is still found', () => {
  const reader = new FrameReader(Buffer.from(B));
  const text = `no newline at the end${B} 0\n`;
  const results = feed(reader, [...text]);
  assert.is(results.indexOf(true), text.length - 1, 'complete only with the newline after the code');
  assert.is(reader.done!.body.toString(), 'no newline at the end');
});

test('text that looks like a frame but carries another boundary is body', () => {
  const reader = new FrameReader(Buffer.from(B));
  const fake = `${newBoundary()} 0\nplay-${'0'.repeat(32)} 1\n${B.slice(0, -1)} 2\n`;
  assert.equal(feed(reader, [fake, `${B} 0\n`]), [false, true]);
  assert.is(reader.done!.body.toString(), fake);
});

test('binary and large bodies come back byte for byte', () => {
  const reader = new FrameReader(Buffer.from(B));
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
  feed(reader, [binary, big.subarray(0, 100_000), big.subarray(100_000), `${B} 0\n`]);
  assert.ok(reader.done!.body.equals(Buffer.concat([binary, big])));
});

test('a request: header with line count, stdin size and 0, the command lines, then the raw stdin', () => {
  const stdin = Buffer.from([0, 10, 255]);
  const request = encodeRequest(B, "printf 'a\nb'", stdin);
  assert.ok(request.subarray(-3).equals(stdin));
  assert.is(request.subarray(0, -3).toString(), `${B} 2 3 0\nprintf 'a\nb'\n`);
});

test('small text stdin travels as a quoted here-document of the whole command line', () => {
  const request = encodeRequest(B, 'a && b', Buffer.from('one\n$(two)\n'));
  assert.is(request.toString(), `${B} 5 0 0\n{ a && b\n} <<'${B}'\none\n$(two)\n${B}\n`);
});

test('stdin that is binary, unterminated, large or holds the delimiter line stays raw bytes after the text', () => {
  for (const stdin of [
    Buffer.from('no newline at the end'),
    Buffer.from([0x61, 0, 0x0a]),
    Buffer.alloc(2000, '\n'),
    Buffer.from(`x\n${B}\ny\n`),
  ]) {
    const request = encodeRequest(B, 'cat', stdin);
    assert.ok(request.subarray(-stdin.length).equals(stdin));
    assert.is(request.subarray(0, -stdin.length).toString(), `${B} 1 ${stdin.length} 0\ncat\n`);
  }
  // An empty command line cannot be wrapped in { }: its stdin stays raw too.
  assert.is(encodeRequest(B, ' ', Buffer.from('a\n')).toString(), `${B} 1 2 0\n \na\n`);
});

test('long command text is counted in bytes (read by one head on the host), with its newline', () => {
  const script = `echo ${'x'.repeat(600)}\necho done`;
  assert.is(encodeRequest(B, script, Buffer.alloc(0)).toString(), `${B} 0 0 ${script.length + 1}\n${script}\n`);
  const stdin = Buffer.from([1, 2, 3]);
  const request = encodeRequest(B, script, stdin);
  assert.is(request.subarray(0, -3).toString(), `${B} 0 3 ${script.length + 1}\n${script}\n`);
  assert.ok(request.subarray(-3).equals(stdin));
  const hereDocument = `{ ${script}\n} <<'${B}'\none\n${B}`;
  assert.is(encodeRequest(B, script, Buffer.from('one\n')).toString(), `${B} 0 0 ${hereDocument.length + 1}\n${hereDocument}\n`);
});

test('boundaries are random per command', () => {
  assert.is.not(newBoundary(), newBoundary());
  assert.match(newBoundary(), /^play-[0-9a-f]{32}$/);
});

test.run();
