using System.Text.Json;

namespace MtaCluster.Testing;

/// <summary>
/// Python's stdlib <c>email</c> package (policy=default) as the judge of our output: it parses a message and prints
/// what it found as JSON, defects included.
/// </summary>
public static class PythonEmail
{
    private const string Script = """
        import email, email.policy, email.utils, json, sys
        from email.parser import BytesHeaderParser
        raw = open(sys.argv[1], 'rb').read()
        m = email.message_from_bytes(raw, policy=email.policy.default)

        def fields(msg):
            out = {k: str(v) for k, v in msg.items()}
            for k, v in list(out.items()):
                if k.endswith('Date') or k.endswith('Until'):
                    out[k + '/parsed'] = email.utils.parsedate_to_datetime(v).isoformat()
            return out

        def raw_part(index):
            # message/global-delivery-status is not a type the package splits into groups; read the part's groups with its header parser.
            section = raw.split(b'--' + m.get_boundary().encode())[index + 1]
            body = section.split(b'\r\n\r\n', 1)[1].strip(b'\r\n')
            return [fields(BytesHeaderParser(policy=email.policy.default).parsebytes(g + b'\r\n')) for g in body.split(b'\r\n\r\n')]

        out = {'content_type': m.get_content_type(), 'report_type': m.get_param('report-type'),
               'headers': fields(m), 'defects': [repr(d) for d in m.defects], 'parts': []}
        for i, p in enumerate(m.iter_parts()):
            ct = p.get_content_type()
            d = {'content_type': ct, 'cte': p.get('Content-Transfer-Encoding'), 'defects': [repr(x) for x in p.defects]}
            if ct == 'text/plain':
                d['text'] = p.get_content()
            elif ct == 'message/delivery-status':
                d['groups'] = [fields(g) for g in p.get_payload()]
            elif ct == 'message/global-delivery-status':
                d['groups'] = raw_part(i)
            elif ct in ('message/rfc822', 'message/global'):
                inner = p.get_payload(0)
                d['inner_headers'] = fields(inner)
                d['inner_body'] = inner.get_payload(decode=True).decode('utf-8')
            elif ct == 'message/global-headers':
                # The package reads any message/* part as an enclosed message: here one with a header and no body.
                d['inner_headers'] = fields(p.get_payload(0))
            else:
                d['text'] = p.get_payload(decode=True).decode('utf-8')
            out['parts'].append(d)
        print(json.dumps(out))
        """;

    public static async Task<JsonElement> ParseAsync(byte[] message)
    {
        string dir = Path.Combine(Path.GetTempPath(), "mime-py-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string script = Path.Combine(dir, "parse.py");
            string input = Path.Combine(dir, "message.eml");
            await File.WriteAllTextAsync(script, Script);
            await File.WriteAllBytesAsync(input, message);
            string output = await ExternalProcess.RunAsync("python3", script, input);
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
