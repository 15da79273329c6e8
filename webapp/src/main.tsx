import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { setInitData } from './lib/api';
import { WebApp, initTelegram } from './lib/telegram';
import './styles.css';

initTelegram();
setInitData(WebApp.initData);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
