// Opens an HTML page in headless Chromium (playwright-core, driving the chromium installed on the
// machine: MLOPSC_CHROMIUM or the path given) with the network cut off, and prints, as JSON, what a
// reader would meet: console errors, uncaught exceptions, requests for anything but the page
// itself, and what each plotly chart drew: per trace, the points rendered in its SVG (`path.point`),
// and the shapes (gate lines, drift alarms) drawn in its layout. Writes a screenshot of the page.
//
// usage: node report_browser.mjs PAGE.html SCREENSHOT.png CHROMIUM
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [page_path, screenshot, executable] = process.argv.slice(2);
if (!executable) {
  // Without it playwright would look for a browser of its own download, which the tests never use.
  console.error('usage: node report_browser.mjs PAGE.html SCREENSHOT.png CHROMIUM');
  process.exit(2);
}
const found = { console_errors: [], page_errors: [], requests: [], charts: {} };
// --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const url = pathToFileURL(page_path).href;
  page.on('console', (message) => {
    if (message.type() === 'error') found.console_errors.push(message.text());
  });
  page.on('pageerror', (error) => found.page_errors.push(String(error)));
  await page.route('**/*', (route) => {
    const asked = route.request().url();
    if (asked === url) return route.continue();
    found.requests.push(asked);
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  // Plotly.newPlot lays a chart out (`_fullLayout`) and draws its SVG; a redraw for the margins may
  // follow in the next frames. Wait for every chart, then two frames. If they never come, say so
  // and report the rest (a blocked request or an error usually says why).
  try {
    await page.waitForFunction(() => {
      const charts = [...document.querySelectorAll('div.plotly-graph-div')];
      return charts.length > 0 && charts.every((chart) => chart._fullLayout && chart.querySelector('.main-svg'));
    }, null, { timeout: 15000 });
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  } catch (error) {
    found.page_errors.push(`the charts were not drawn: ${error.message.split('\n')[0]}`);
  }
  found.charts = await page.evaluate(() => {
    const charts = {};
    for (const chart of document.querySelectorAll('div.plotly-graph-div')) {
      const traces = {};
      for (const trace of chart.querySelectorAll('.scatterlayer g.trace')) {
        // d3 binds each trace group to its calculated data; [0].trace is the full trace.
        const name = trace.__data__?.[0]?.trace?.name ?? '?';
        traces[name] = (traces[name] || 0) + trace.querySelectorAll('path.point').length;
      }
      const layout = chart._fullLayout || { title: {}, shapes: [] };
      charts[chart.id] = {
        title: layout.title.text,
        traces,
        shapes: layout.shapes.map((shape) => shape.name || ''),
        drawn_shapes: chart.querySelectorAll('.shapelayer path').length,
      };
    }
    return charts;
  });
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(found));
