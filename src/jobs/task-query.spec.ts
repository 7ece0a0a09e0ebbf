import { parseTaskQuery, TaskQueryError } from './task-query.js';

describe('task query parser', () => {
  it('parses the short form as the same table on both sides', () => {
    expect(parseTaskQuery('REPLICATE [Accounts]')).toEqual({ destination: 'Accounts', source: 'Accounts', columns: '*' });
    expect(parseTaskQuery('replicate Accounts;')).toEqual({ destination: 'Accounts', source: 'Accounts', columns: '*' });
  });

  it('parses SELECT * FROM with bracketed, quoted and schema-qualified names', () => {
    expect(parseTaskQuery('REPLICATE [Dest Table] SELECT * FROM "public"."Src"')).toEqual({ destination: 'Dest Table', source: 'public.Src', columns: '*' });
  });

  it('parses a column list with aliases', () => {
    expect(parseTaskQuery('REPLICATE [A] SELECT [Id], Name AS FullName FROM [B]').columns).toEqual([
      { name: 'Id', as: 'Id' },
      { name: 'Name', as: 'FullName' },
    ]);
  });

  it('parses WHERE with precedence, parentheses, IN, LIKE, IS NULL and BETWEEN', () => {
    const q = parseTaskQuery("REPLICATE [A] SELECT * FROM [B] WHERE a = 1 OR b <> 'x' AND NOT (c IS NULL) AND d IN (1, 2) AND e LIKE 'J%' AND f BETWEEN 1 AND 5");
    expect(q.where?.kind).toBe('or');
    const where = q.where as { kind: 'or'; left: unknown; right: { kind: string } };
    expect(where.left).toEqual({ kind: 'compare', op: '=', left: { kind: 'column', name: 'a' }, right: { kind: 'literal', value: 1 } });
    expect(where.right.kind).toBe('and');
    expect(parseTaskQuery("REPLICATE [A] SELECT * FROM [B] WHERE name = 'O''Brien'").where).toEqual({
      kind: 'compare',
      op: '=',
      left: { kind: 'column', name: 'name' },
      right: { kind: 'literal', value: "O'Brien" },
    });
  });

  it.each([
    ['', /Expected REPLICATE at position 1/],
    ['SELECT * FROM [A]', /Expected REPLICATE/],
    ['REPLICATE', /Expected a destination table/],
    ['REPLICATE [A] SELECT * FORM [B]', /Expected FROM at position 24, found 'FORM'/],
    ['REPLICATE [A] SELECT FROM [B]', /Expected a column or \*/],
    ['REPLICATE [A] SELECT * FROM [B] WHERE', /Expected a column or a value/],
    ['REPLICATE [A] SELECT * FROM [B] WHERE a = ', /found the end of the query/],
    ['REPLICATE [A] SELECT * FROM [B] WHERE a', /Expected a comparison/],
    ['REPLICATE [A] SELECT * FROM [B] extra', /Expected WHERE or the end of the query/],
    ['REPLICATE [A', /Unclosed \[/],
    ["REPLICATE [A] SELECT * FROM [B] WHERE a = 'x", /Unclosed string/],
    ['REPLICATE [A] DROP TABLE x', /Expected SELECT or the end of the query/],
    ['REPLICATE [A] SELECT * FROM [B] WHERE (a = 1', /Expected '\)'/],
    ['REPLICATE [../x]', /Table name '..\/x' at position 11 may not contain/],
    ['REPLICATE [A] SELECT * FROM [../../etc/passwd]', /Table name/],
    ['REPLICATE [sub/A] SELECT * FROM [B]', /Table name 'sub\/A'/],
    ['REPLICATE [A] SELECT * FROM [..\\B]', /Table name/],
    ['REPLICATE [..]', /Table name/],
    ['REPLICATE "/etc/x"', /Table name/],
  ])('rejects %p', (query, message) => {
    expect(() => parseTaskQuery(query)).toThrow(TaskQueryError);
    expect(() => parseTaskQuery(query)).toThrow(message);
  });
});
