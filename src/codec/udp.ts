/** UDP header (RFC 768): field offsets. */
export const UDP = Object.freeze({
  SRC_PORT: 0,
  DST_PORT: 2,
  LENGTH: 4,
  CHECKSUM: 6,
  HEADER: 8,
});
