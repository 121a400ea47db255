-- Used by studyguide/citeproc.py: the references arrive as CSL-JSON text in the metadata
-- field `csljson-references` (the document comes on standard input, so no file is written);
-- pandoc's own CSL-JSON reader turns them into `references`, which --citeproc then formats.
function Meta(meta)
  local text = meta['csljson-references']
  if text then
    meta.references = pandoc.read(pandoc.utils.stringify(text), 'csljson').meta.references
    meta['csljson-references'] = nil
  end
  return meta
end
