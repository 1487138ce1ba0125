// Preloaded with `node --require` into a child process whose memory a test bounds: at exit, prints the kernel's
// high-water mark of its resident set (VmHWM, in KiB) to stderr, where the test reads it.
const fs = require('node:fs');

process.on('exit', () => {
  const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  fs.writeSync(2, `peak-rss-kib ${match ? match[1] : 'unknown'}\n`);
});
