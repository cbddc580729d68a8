/** Machine description stored with every benchmark result (a number without its machine is useless). */
import { cpus, availableParallelism, totalmem, platform, release, arch } from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs the OS reports. */
  logicalCores: number;
  availableParallelism: number;
  /** CPU flags relevant to the kernels (from /proc/cpuinfo when readable). */
  simdFlags: string[];
  totalMemoryGiB: number;
  platform: string;
  node: string;
  v8: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const all = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
    flags = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => all.has(f));
  } catch {
    // Not Linux: leave the flags empty rather than guess.
  }
  return {
    cpuModel: list[0]?.model?.trim() ?? 'unknown',
    logicalCores: list.length,
    availableParallelism: availableParallelism(),
    simdFlags: flags,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}
