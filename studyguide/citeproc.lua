-- Used by studyguide/citeproc.py: the references arrive as text in the metadata field
-- `library-text`, in the format `library-format` names (csljson, or markdown: a document whose
-- YAML metadata holds `references:`, as pandoc reads CSL-YAML). The document comes on standard
-- input, so no file is written; pandoc's own reader turns the text into `references`, which
-- --citeproc then formats.
function Meta(meta)
  local text = meta['library-text']
  if text then
    local format = pandoc.utils.stringify(meta['library-format'])
    meta.references = pandoc.read(pandoc.utils.stringify(text), format).meta.references
    meta['library-text'] = nil
    meta['library-format'] = nil
  end
  return meta
end
