/** The containers the audio endpoints read, recognised by their first bytes, not by file name. */
export type AudioFormat = 'wav' | 'flac' | 'ogg-vorbis' | 'mp3';

export const ACCEPTED_AUDIO = 'WAV (PCM, float, A-law, mu-law, IMA ADPCM), FLAC, Ogg Vorbis, MP3';

const ascii = (bytes: Uint8Array, start: number, length: number) => String.fromCharCode(...bytes.subarray(start, start + length));

/** The format of `bytes`, or undefined when it is none of the accepted ones. */
export function detectAudioFormat(bytes: Uint8Array): AudioFormat | 'ogg-other' | undefined {
  if (bytes.length < 12) return undefined;
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') return 'wav';
  if (ascii(bytes, 0, 4) === 'fLaC') return 'flac';
  if (ascii(bytes, 0, 4) === 'OggS') {
    // The first page carries the identification header of the stream's codec.
    const head = ascii(bytes, 0, Math.min(bytes.length, 128));
    return head.includes('\x01vorbis') ? 'ogg-vorbis' : 'ogg-other';
  }
  if (ascii(bytes, 0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, layer III.
  if (bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0 && (bytes[1]! & 0x06) === 0x02) return 'mp3';
  return undefined;
}
