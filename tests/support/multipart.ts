/** A multipart/form-data body for app.inject: the fields first, then the file in field "file". */
export function multipartUpload(fields: Record<string, string>, file: { name: string; content: Uint8Array }) {
  const boundary = '----audio-test-boundary';
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const head = Buffer.from(parts.join('') + `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  return { payload: Buffer.concat([head, Buffer.from(file.content), Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
