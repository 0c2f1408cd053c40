/// The page `ConformanceServer` serves at `/`: a browser's WebSocket client echoes every case,
/// then asks for its report. `?agent=NAME` names the run; `#N` starts at case N.
enum ClientDriverPage {
    static func html(caseCount: Int) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Passerelle conformance — client under test</title>
        <style>body{font:14px system-ui,sans-serif;margin:2em}progress{width:30em}#log{font:12px monospace;white-space:pre}</style>
        </head><body>
        <h1>Passerelle conformance: this browser's WebSocket client</h1>
        <p>Every case opens a WebSocket to this server, which plays the server side; the page echoes every
        message back. <progress id="bar" max="\(caseCount)" value="0"></progress> <span id="count">0</span> / \(caseCount)</p>
        <p id="status">running…</p>
        <div id="log"></div>
        <script>
        const params = new URLSearchParams(location.search);
        const agent = params.get('agent') || 'browser';
        const base = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
        function runCase(n) {
          return new Promise(resolve => {
            let ws;
            try { ws = new WebSocket(base + '/runCase?case=' + n + '&agent=' + encodeURIComponent(agent)); }
            catch (e) { resolve(); return; }
            ws.binaryType = 'arraybuffer';
            ws.onmessage = e => { try { ws.send(e.data); } catch (err) {} };
            ws.onclose = () => resolve();
            ws.onerror = () => {};
          });
        }
        async function main() {
          const first = Math.max(1, parseInt(location.hash.slice(1) || '1', 10));
          for (let n = first; n <= \(caseCount); n++) {
            await runCase(n);
            document.getElementById('bar').value = n;
            document.getElementById('count').textContent = n;
          }
          await new Promise(resolve => {
            const ws = new WebSocket(base + '/updateReports?agent=' + encodeURIComponent(agent));
            ws.onmessage = e => { document.getElementById('status').textContent = e.data; };
            ws.onclose = () => resolve();
          });
          document.title = 'done';
          document.body.dataset.done = 'true';
        }
        main();
        </script>
        </body></html>
        """
    }
}
