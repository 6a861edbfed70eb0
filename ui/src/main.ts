// The UI's shell: the header (pages, trace id search, API key) and a hash router, so every
// page and query lives in the URL and a link reproduces it.
import './style.css';
import { apiKey, setApiKey } from './api';
import { clear, h } from './dom';
import { renderQueryPage } from './pages/query';
import { renderTracePage } from './pages/trace';
import { renderMapPage } from './pages/service_map';
import { renderXrayPage } from './pages/xray';

export type Route = { page: string; arg: string; params: URLSearchParams };

export function parseRoute(hash = location.hash): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?', 2);
  const [page = 'query', ...rest] = path.split('/');
  return { page: page || 'query', arg: decodeURIComponent(rest.join('/')), params: new URLSearchParams(query) };
}

export function navigate(page: string, arg = '', params?: URLSearchParams): void {
  const query = params && [...params.keys()].length ? `?${params.toString()}` : '';
  location.hash = `#/${page}${arg ? '/' + encodeURIComponent(arg) : ''}${query}`;
}

const pages: [string, string][] = [['query', 'Query'], ['traces', 'Traces'], ['map', 'Service map'], ['xray', 'X-Ray']];

function renderHeader(): void {
  const top = document.getElementById('top')!;
  clear(top);
  const current = parseRoute().page;
  const search = h('input', {
    type: 'search', placeholder: 'Trace id (32 hex or 1-…-…)', 'aria-label': 'Open a trace by id', id: 'trace-search',
    spellcheck: false,
  });
  const key = h('input', {
    type: 'password', autocomplete: 'off', placeholder: 'API key', 'aria-label': 'API key (x-honeycomb-team)', value: apiKey(),
    onchange: () => { setApiKey(key.value.trim()); window.dispatchEvent(new HashChangeEvent('hashchange')); },
  });
  top.append(
    h('a', { class: 'brand', href: '#/query' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), 'Waggle'),
    h('nav', { 'aria-label': 'Pages' },
      pages.map(([page, label]) => h('a', {
        href: `#/${page}`, class: current === page || (page === 'traces' && current === 'trace') ? 'active' : '',
        'aria-current': current === page ? 'page' : undefined,
      }, label))),
    h('form', {
      class: 'trace-search', role: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const id = search.value.trim();
        if (id) navigate('trace', id);
      },
    }, search),
    h('form', { onsubmit: (e: Event) => e.preventDefault() }, key),
  );
}

async function render(): Promise<void> {
  renderHeader();
  const main = document.getElementById('main')!;
  clear(main);
  const route = parseRoute();
  document.title = `Waggle · ${route.page}`;
  switch (route.page) {
    case 'trace':
    case 'traces':
      return renderTracePage(main, route);
    case 'map':
      return renderMapPage(main, route);
    case 'xray':
      return renderXrayPage(main, route);
    default:
      return renderQueryPage(main, route);
  }
}

window.addEventListener('hashchange', () => void render());
void render();
