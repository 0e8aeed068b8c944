/**
 * The DHCP message codec as the client and the service use it (parse a reply, size and
 * write a request). In the image this is a lazy module (firmware/lazy/dhcp.ts): after the
 * lease is bound it runs once per renewal, so it is evaluated per use. Its results are
 * plain data.
 */
export { parse, bufferLen, emit } from './wire';
