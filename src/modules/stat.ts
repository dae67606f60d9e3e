import { probeRemoteFile } from './remote-file.js';
import { failOnError, withoutUndefined } from './result.js';
import type { ModuleDefinition } from './types.js';

type StatArgs = {
  path: string;
  follow: boolean;
  get_checksum: boolean;
  checksum_algorithm: 'sha1' | 'sha256';
};

export const statModule: ModuleDefinition<StatArgs> = {
  name: 'stat',
  schema: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'] },
    follow: { type: 'bool', default: false },
    get_checksum: { type: 'bool', default: true },
    checksum_algorithm: { type: 'str', default: 'sha1', choices: ['sha1', 'sha256'], aliases: ['checksum', 'checksum_algo'] },
  },
  run(args, ctx) {
    return failOnError(async () => {
      const s = await probeRemoteFile(ctx, args.path, {
        follow: args.follow,
        checksum: args.get_checksum ? args.checksum_algorithm : 'none',
      });
      if (s.type === 'absent') return { changed: false, stat: { exists: false } };
      return {
        changed: false,
        stat: withoutUndefined({
          exists: true,
          path: args.path,
          isdir: s.type === 'directory',
          isreg: s.type === 'file',
          islnk: s.type === 'link',
          mode: s.mode,
          uid: s.uid,
          gid: s.gid,
          pw_name: s.owner,
          gr_name: s.group,
          size: s.size,
          mtime: s.mtime,
          checksum: s.checksum,
          lnk_source: s.linkSource,
          lnk_target: s.linkTarget,
        }),
      };
    });
  },
};
