-- pandoc filter for the man pages: a table becomes a definition list, one
-- item per row (term: the first cell; body: "header: cell" for the others).
-- Wide tables in troff overflow an 80-column terminal (groff "can't break
-- line"); a definition list wraps. The Markdown keeps deploy/README.md's
-- tables verbatim.
local function cell_inlines(cell)
  return pandoc.utils.blocks_to_inlines(cell.contents)
end

function Table(tbl)
  local headers = {}
  for i, cell in ipairs(tbl.head.rows[1].cells) do
    headers[i] = pandoc.utils.stringify(cell.contents)
  end
  local items = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local term = cell_inlines(row.cells[1])
      local parts = pandoc.List()
      for i = 2, #row.cells do
        local inl = cell_inlines(row.cells[i])
        if #inl > 0 then
          if #parts > 0 then parts:insert(pandoc.Str(";")); parts:insert(pandoc.Space()) end
          parts:insert(pandoc.Emph({pandoc.Str(headers[i] .. ":")}))
          parts:insert(pandoc.Space())
          parts:extend(inl)
        end
      end
      table.insert(items, {term, {pandoc.Plain(parts)}})
    end
  end
  return pandoc.DefinitionList(items)
end
