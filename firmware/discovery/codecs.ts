/**
 * The CDP and LLDP codecs as the agent uses them (parse a received frame, build an
 * advertisement). In the image this is a lazy module (firmware/lazy/discovery.ts): the agent
 * needs a codec a few times a minute, so it is evaluated per use instead of being resident.
 * Everything it returns is plain data.
 */
export { parseFrame as parseCdp, buildFrame as buildCdp } from './cdp';
export { parseFrame as parseLldp, buildFrame as buildLldp, voicePolicy } from './lldp';
