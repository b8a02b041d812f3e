// Typed configuration errors (STYLE §6 class 2): a code, a one-line message and a location —
// the JSON path inside the configuration plus the partition, bus and device it concerns — so
// a scenario loader can point at the offending line and a test can assert what was named.

/** What was wrong with a configuration. */
export type ConfigErrorCode =
  | 'bad-jiffy'
  | 'bad-partition-name'
  | 'duplicate-partition-name'
  | 'unknown-partition-kind'
  | 'bad-partition-index'
  | 'duplicate-partition-index'
  | 'command-partition-count'
  | 'buses-on-non-guest'
  | 'bad-bus-number'
  | 'duplicate-bus'
  | 'bad-device-count'
  | 'unknown-channel-type'
  | 'bad-device-number'
  | 'device-on-missing-bus'
  | 'duplicate-dev-no'
  | 'dev-no-out-of-range'
  | 'server-not-iosp'
  | 'option-of-another-kind'
  | 'server-not-command';

/** Where in the configuration an error is. */
export interface ConfigLocation {
  /** JSON path inside the configuration, e.g. `partitions[2].devices[0]`. */
  readonly path: string;
  /** Name of the partition concerned. */
  readonly partition?: string;
  /** `bus_no` of the bus concerned. */
  readonly busNo?: number;
  /** `dev_no` of the device concerned. */
  readonly devNo?: number;
}

/** A typed configuration error: never thrown, always returned. */
export interface ConfigError extends ConfigLocation {
  readonly code: ConfigErrorCode;
  /** One line for a human: code, what is wrong, and where. */
  readonly message: string;
}

/** Builds a {@link ConfigError} whose message names the partition, bus and device. */
export function configError(
  code: ConfigErrorCode,
  where: ConfigLocation,
  detail: string,
): ConfigError {
  const names = [
    where.partition === undefined ? null : `partition ${where.partition}`,
    where.busNo === undefined ? null : `bus ${where.busNo}`,
    where.devNo === undefined ? null : `dev ${where.devNo}`,
  ].filter((n) => n !== null);
  const at = names.length === 0 ? where.path : `${where.path}, ${names.join(' ')}`;
  return { ...where, code, message: `${code}: ${detail} (at ${at})` };
}
