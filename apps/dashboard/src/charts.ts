import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

// Only what the two kinds of chart use: tree-shaken, the page stays small.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

/** Draws `config` on `canvas`, replacing a chart drawn there before; returns a function that destroys it. */
export function draw(canvas: HTMLCanvasElement, config: ChartConfiguration): () => void {
  Chart.getChart(canvas)?.destroy();
  // No animation: the picture is final at once (and the browser spec's screenshots are the picture).
  const chart = new Chart(canvas, { ...config, options: { animation: false, responsive: true, ...config.options } });
  return () => chart.destroy();
}

export const COLORS = {
  p50: '#7aa6e0',
  p95: '#2557a7',
  max: '#9aa5b1',
  memory: '#2557a7',
  request: '#c2410c',
  limit: '#7c3aed',
  recommended: '#15803d',
};
