// ECharts with only the charts and components the UI uses (keeps the bundle small).
import * as echarts from 'echarts/core';
import { BarChart, GraphChart, HeatmapChart, LineChart } from 'echarts/charts';
import { BrushComponent, GridComponent, LegendComponent, TitleComponent, ToolboxComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, GraphChart, HeatmapChart, LineChart, BrushComponent, GridComponent, LegendComponent,
  TitleComponent, ToolboxComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

// Charts resize with the window.
window.addEventListener('resize', () => {
  document.querySelectorAll<HTMLElement>('[_echarts_instance_]').forEach((el) => echarts.getInstanceByDom(el)?.resize());
});

export { echarts };
