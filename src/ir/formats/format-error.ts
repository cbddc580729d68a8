/**
 * Error for a malformed line in an IR file. It is a TypeError (bad input) whose message starts with
 * `file:line:` so editors and terminals can jump to the offending line.
 */
export class IrFormatError extends TypeError {
  override name = 'IrFormatError';
  constructor(
    readonly source: string,
    readonly lineNumber: number,
    detail: string,
  ) {
    super(`${source}:${lineNumber}: ${detail}`);
  }
}
