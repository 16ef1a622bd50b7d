"""The JavaScript the browser tests run in JupyterLab's page, through ``window.jupyterapp``.

Every snippet takes the notebook's ``path`` (relative to the server root) and finds its panel
with :data:`PANEL`; Lab's models (outputs, execution counts, kernel status) are read rather than
only the DOM, which can lag behind them.
"""

#: JS expression: the notebook panel open on ``path`` (a variable in every snippet below).
PANEL = ("[...window.jupyterapp.shell.widgets('main')]"
         ".find(w => w.context && w.context.path === path)")

OPEN = r"""async (path) => {
  const app = window.jupyterapp;
  await app.restored;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  window.__e2eProblems = [];
  // The widget manager probes each new kernel with a 'jupyter.widget.control' comm; a kernel
  // that has not imported ipywidgets yet answers on stderr. That answer is protocol noise the
  // user never sees in the notebook: remember the probe's messages to tell it apart.
  const probe = new Set(), controlComms = new Set();
  const watch = kernel => kernel && kernel.anyMessage.connect((_, {msg, direction}) => {
    const c = msg.content || {};
    if (direction !== 'send') return;
    if (msg.header.msg_type === 'comm_open' && c.target_name === 'jupyter.widget.control')
      controlComms.add(c.comm_id);
    if (controlComms.has(c.comm_id)) probe.add(msg.header.msg_id);
  });
  watch(panel.sessionContext.session && panel.sessionContext.session.kernel);
  panel.sessionContext.kernelChanged.connect((_, change) => watch(change.newValue));
  panel.sessionContext.iopubMessage.connect((_, msg) => {
    const c = msg.content, parent = msg.parent_header || {};
    const unknown = /^No such comm: (\S+)/.exec(c.text || '');  // sent without a parent
    const entry = {parent: parent.msg_type || 'nothing',
                   probe: probe.has(parent.msg_id) || (!!unknown && controlComms.has(unknown[1]))};
    if (msg.header.msg_type === 'error') {
      window.__e2eProblems.push({...entry, kind: 'error', text: c.ename + ': ' + c.evalue});
    } else if (msg.header.msg_type === 'stream' && c.name === 'stderr') {
      window.__e2eProblems.push({...entry, kind: 'stderr', text: c.text});
    }
  });
  return panel.id;
}"""

KERNEL_IDLE = f"""(path) => {{
  const panel = {PANEL};
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}}"""

COMMAND = f"""async ([path, command]) => {{
  const panel = {PANEL};
  window.jupyterapp.shell.activateById(panel.id);
  await window.jupyterapp.commands.execute(command);
}}"""

START_RUN_ALL = f"""(path) => {{
  const panel = {PANEL};
  window.jupyterapp.shell.activateById(panel.id);
  window.__e2eRun = {{done: false}};
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    ok => {{ window.__e2eRun = {{done: true, ok}}; }},
    err => {{ window.__e2eRun = {{done: true, ok: false, error: String(err)}}; }});
}}"""

RUN_FINISHED = f"""(path) => {{
  const panel = {PANEL};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const pending = panel.content.widgets.some(
    cell => cell.model.type === 'code' && /\\*/.test(cell.promptNode.textContent));
  return window.__e2eRun.done && !!kernel && kernel.status === 'idle' && !pending;
}}"""

CELLS = f"""(path) => {{
  const panel = {PANEL};
  const streamText = t => Array.isArray(t) ? t.join('') : t;
  return panel.content.widgets.map((cell, index) => {{
    const model = cell.model;
    const code = model.type === 'code';
    const shown = cell.node.querySelector(code ? '.jp-Cell-outputWrapper' : '.jp-MarkdownOutput');
    const outputs = code ? model.outputs.toJSON() : [];
    const problems = [];
    for (const out of outputs) {{
      if (out.output_type === 'error') problems.push(['error', out.ename + ': ' + out.evalue]);
      if (out.output_type === 'stream' && out.name === 'stderr')
        problems.push(['stderr', streamText(out.text)]);
    }}
    for (const node of cell.node.querySelectorAll(
        '.widget-output [data-mime-type="application/vnd.jupyter.stderr"]'))
      problems.push(['widget-stderr', node.innerText]);
    return {{
      index, kind: model.type, source: model.sharedModel.getSource(),
      tags: model.getMetadata('tags') || [],
      execution_count: code ? model.executionCount : null,
      outputs: outputs.length, text: shown ? shown.innerText : '',
      images: cell.node.querySelectorAll("img[src^='data:image/png']").length, problems,
    }};
  }});
}}"""


TABLES = f"""([path, index]) => {{
  const panel = {PANEL};
  const cell = panel.content.widgets[index];
  const texts = row => [...row.children].map(c => c.innerText.trim());
  return [...cell.node.querySelectorAll('table')].map(table => {{
    const head = table.querySelector('thead tr');
    return {{header: head ? texts(head) : [],
             rows: [...table.querySelectorAll('tbody tr')].map(texts)}};
  }});
}}"""

IMAGES = f"""([path, index]) => {{
  const panel = {PANEL};
  return [...panel.content.widgets[index].node.querySelectorAll("img[src^='data:image/png']")]
    .map(img => img.src);
}}"""
