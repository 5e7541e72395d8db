/**
 * An OCI layout of three uncompressed layers whose middle one makes `etc` opaque, so `ls IMAGE etc`
 * needs only the top two layers (the top-down cut of src/fs/stack-cut.ts).
 *
 *   const [base, middle, top] = await cutImage(dir); // layer digests, bottom first
 */
import { createHash } from 'node:crypto';
import { writeTar } from '../src/tar/writer.ts';
import { writeOciImage } from './_overlay.ts';

export async function cutImage(dir: string): Promise<string[]> {
  const body = (text: string) => new TextEncoder().encode(text);
  const layers = [
    await writeTar([{ name: 'etc/', type: 'dir' }, { name: 'etc/passwd', body: body('root:x:0:0\n') }, { name: 'etc/ssl/cert', body: body('c') }, { name: 'usr/bin/sh', body: body('sh') }]),
    await writeTar([{ name: 'usr/bin/tool', body: body('t') }, { name: 'etc/.wh..wh..opq', type: 'file' }, { name: 'etc/hostname', body: body('box\n') }]),
    await writeTar([{ name: 'tmp/newfile', body: body('Hello world\n') }]),
  ];
  writeOciImage(dir, layers);
  return layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
}
