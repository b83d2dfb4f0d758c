"""Pages of a run's PDFs as a person sees them, shared by the report (outputs: crops) and the review
app: `render.Renderer` draws a page or a band of it with a value's boxes outlined (pypdfium2);
`locate.Locator` reads a page's characters again and finds a value's own characters on it. Neither
is part of the pipeline's stages: they read a PDF after the run, for showing, never for extraction."""
