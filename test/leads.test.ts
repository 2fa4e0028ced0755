import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTuco, type Api, type TestTuco } from './helpers.js';

let t: TestTuco;
beforeAll(async () => {
  t = await startTestTuco();
});
afterAll(async () => t?.close());

const quickSendsId = async (api: Api): Promise<string> =>
  (await api('GET', '/api/lists')).body.lists.find((l: any) => l.name === 'Quick Sends')._id;
const allLeads = async (api: Api, query = ''): Promise<any[]> => (await api('GET', `/api/leads?limit=1000${query}`)).body.leads;

describe('POST /api/leads', () => {
  it('saves one lead into "Quick Sends" when no listId is given, with its phone in E.164', async () => {
    const { api, workspaceId } = await t.newWorkspace();
    const res = await api('POST', '/api/leads', { leads: [{ firstName: 'Ana', lastName: 'Lopez', phone: '(415) 555-0123', email: 'Ana@Example.com' }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ message: 'Leads saved successfully', duplicateOnly: false, savedCount: 1, duplicateCount: 0, totalProcessed: 1 });
    expect(res.body.leadId).toMatch(/^[0-9a-f]{24}$/);
    expect(res.body.leadIds).toEqual([res.body.leadId]);
    expect(res.body.listId).toBe(await quickSendsId(api));

    const got = await api('GET', `/api/leads?id=${res.body.leadId}`);
    expect(got.status).toBe(200);
    expect(got.body.lead).toMatchObject({
      _id: res.body.leadId,
      workspaceId,
      listId: res.body.listId,
      firstName: 'Ana',
      lastName: 'Lopez',
      phone: '+14155550123',
      email: 'ana@example.com',
      source: 'csv',
      customFields: {},
    });
    expect(got.body.lead.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('saves many leads into the given list, keeping every documented field', async () => {
    const { api } = await t.newWorkspace();
    const list = (await api('POST', '/api/lists', { name: 'Webinar' })).body.list;
    const res = await api('POST', '/api/leads', {
      listId: list._id,
      source: 'api',
      ghlLocationId: 'loc-1',
      leads: [
        {
          firstName: 'Bo',
          lastName: null,
          phone: '+1 212 555 0100',
          altPhone1: '212-555-0101',
          altEmail1: 'bo@work.example',
          companyName: 'Acme',
          jobTitle: 'CTO',
          linkedinUrl: 'https://linkedin.com/in/bo',
          notes: 'met at the booth',
          customFields: { plan: 'pro', seats: 12 },
          tags: ['vip'],
        },
        { firstName: 'Cy', email: 'cy@example.com' },
        { firstName: 'Di', phone: '+1 646 555 0199', source: 'hubspot' },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.savedCount).toBe(3);
    expect(res.body.listId).toBe(list._id);
    const leads = await allLeads(api, `&listId=${list._id}`);
    expect(leads).toHaveLength(3);
    const bo = leads.find((l) => l.firstName === 'Bo');
    expect(bo).toMatchObject({
      lastName: null,
      phone: '+12125550100',
      altPhone1: '+12125550101',
      altEmail1: 'bo@work.example',
      companyName: 'Acme',
      jobTitle: 'CTO',
      linkedinUrl: 'https://linkedin.com/in/bo',
      notes: 'met at the booth',
      customFields: { plan: 'pro', seats: 12 },
      tags: ['vip'],
      source: 'api',
    });
    expect(leads.find((l) => l.firstName === 'Di').source).toBe('hubspot');
    expect(leads.map((l) => l.ghlLocationId)).toEqual(['loc-1', 'loc-1', 'loc-1']);
    expect(res.body.ghlLocationId).toBe('loc-1');
  });

  it('accepts "body" as an alias of "leads"', async () => {
    const { api } = await t.newWorkspace();
    const res = await api('POST', '/api/leads', { body: [{ firstName: 'Al', email: 'al@example.com' }] });
    expect(res.status).toBe(201);
    expect(res.body.savedCount).toBe(1);
  });

  it('reads national numbers with defaultCountryCode given as "+44" or "GB"; the default is +1', async () => {
    const { api } = await t.newWorkspace();
    const plus = await api('POST', '/api/leads', { defaultCountryCode: '+44', leads: [{ firstName: 'Uk1', phone: '07911 123456' }] });
    const region = await api('POST', '/api/leads', { defaultCountryCode: 'GB', leads: [{ firstName: 'Uk2', phone: '020 7946 0958' }] });
    const us = await api('POST', '/api/leads', { leads: [{ firstName: 'Us', phone: '646.555.0177' }] });
    expect([plus.status, region.status, us.status]).toEqual([201, 201, 201]);
    const phones = Object.fromEntries((await allLeads(api)).map((l) => [l.firstName, l.phone]));
    expect(phones).toEqual({ Uk1: '+447911123456', Uk2: '+442079460958', Us: '+16465550177' });

    const bad = await api('POST', '/api/leads', { defaultCountryCode: 'England', leads: [{ firstName: 'X', phone: '07911 123457' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('defaultCountryCode');
  });

  it('treats every national format of the same number as the same lead', async () => {
    const { api } = await t.newWorkspace();
    const formats = ['(415) 555-0144', '415.555.0144', '1-415-555-0144', '+1 415 555 0144', '4155550144', '+14155550144'];
    const res = await api('POST', '/api/leads', { leads: formats.map((phone, i) => ({ firstName: `F${i}`, phone })) });
    expect(res.status).toBe(201);
    expect(res.body.savedCount).toBe(1);
    expect(res.body.duplicateCount).toBe(formats.length - 1);
    expect((await allLeads(api)).map((l) => l.phone)).toEqual(['+14155550144']);
  });

  it('answers a batch of duplicates of existing leads in the documented shape, creating nothing', async () => {
    const { api } = await t.newWorkspace();
    const first = await api('POST', '/api/leads', { leads: [{ firstName: 'Ed', phone: '+14155550155', email: 'ed@example.com', hsContactId: 'hs-1' }] });
    const id = first.body.leadId;

    const again = await api('POST', '/api/leads', { leads: [{ firstName: 'Edward', phone: '415 555 0155' }] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      message: 'Lead was a duplicate; existing lead ID returned.',
      duplicateOnly: true,
      duplicateCount: 1,
      totalProcessed: 1,
      leadId: id,
      existingLeadIds: [id],
      leadIds: [id],
      ghlContactId: null,
      ghlLocationId: null,
      hsPortalId: null,
      hsContactId: 'hs-1',
    });
    expect(again.body.duplicates).toHaveLength(1);
    expect(again.body.duplicates[0].input).toEqual({ firstName: 'Edward', phone: '415 555 0155' });
    expect(again.body.duplicates[0].existingLead).toMatchObject({ _id: id, firstName: 'Ed', phone: '+14155550155' });

    // Email matches ignore case; several duplicates still name the one existing lead.
    const byEmail = await api('POST', '/api/leads', { leads: [{ email: 'ED@Example.COM' }, { firstName: 'E', email: ' ed@example.com ' }] });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toMatchObject({ duplicateOnly: true, duplicateCount: 2, totalProcessed: 2, leadId: id, existingLeadIds: [id] });

    const leads = await allLeads(api);
    expect(leads).toHaveLength(1);
    expect(leads[0].firstName).toBe('Ed');
  });

  it('finds duplicates across lists of the workspace, but not in other workspaces', async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    await a.api('POST', '/api/leads', { leads: [{ firstName: 'Fay', phone: '+14155550166' }] });
    const list = (await a.api('POST', '/api/lists', { name: 'Other list' })).body.list;
    const again = await a.api('POST', '/api/leads', { listId: list._id, leads: [{ firstName: 'Fay', phone: '+14155550166' }] });
    expect(again.body.duplicateOnly).toBe(true);
    const other = await b.api('POST', '/api/leads', { leads: [{ firstName: 'Fay', phone: '+14155550166' }] });
    expect(other.status).toBe(201);
    expect(other.body.savedCount).toBe(1);
  });

  it('reports duplicates within the batch and against existing leads beside the saved ones', async () => {
    const { api } = await t.newWorkspace();
    const existing = (await api('POST', '/api/leads', { leads: [{ firstName: 'Gus', email: 'gus@example.com' }] })).body.leadId;
    const res = await api('POST', '/api/leads', {
      leads: [
        { firstName: 'Hal', phone: '+14155550177' },
        { firstName: 'Hal again', phone: '(415) 555-0177' },
        { firstName: 'Gus again', email: 'GUS@example.com' },
        { firstName: 'Ivy', email: 'ivy@example.com' },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ message: 'Leads saved successfully', duplicateOnly: false, savedCount: 2, duplicateCount: 2, totalProcessed: 4 });
    expect(res.body.leadIds).toHaveLength(2);
    const hal = res.body.leadIds[0];
    expect(res.body.existingLeadIds.sort()).toEqual([existing, hal].sort());
    const byIndex = Object.fromEntries(res.body.duplicates.map((d: any) => [d.index, d]));
    expect(byIndex[1].existingLead).toMatchObject({ _id: hal, firstName: 'Hal' });
    expect(byIndex[1].input.firstName).toBe('Hal again');
    expect(byIndex[2].existingLead._id).toBe(existing);
    expect((await allLeads(api)).map((l) => l.firstName).sort()).toEqual(['Gus', 'Hal', 'Ivy']);
  });

  it('reports a lead it cannot read in its row, and saves the rest of the batch', async () => {
    const { api } = await t.newWorkspace();
    const res = await api('POST', '/api/leads', {
      leads: [
        { firstName: 'Ok', phone: '+14155550188' },
        { firstName: 'Bad phone', phone: 'call me maybe' },
        { firstName: 'Short', phone: '12345' },
        { firstName: 'Bad email', email: 'not-an-email' },
        { firstName: 'Nothing to reach' },
        { firstName: 'Also ok', email: 'ok@example.com' },
        { firstName: 'Nul\u0000byte', email: 'nul@example.com' },
        { firstName: 'Nul in custom', email: 'nul2@example.com', customFields: { note: 'a\u0000b' } },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.savedCount).toBe(2);
    expect(res.body.errorCount).toBe(6);
    expect(res.body.message).toMatch(/skipped/);
    const byIndex = Object.fromEntries(res.body.errors.map((e: any) => [e.index, e]));
    expect(byIndex[1]).toMatchObject({ field: 'phone' });
    expect(byIndex[1].error).toContain('call me maybe');
    expect(byIndex[2].field).toBe('phone');
    expect(byIndex[3]).toMatchObject({ field: 'email' });
    expect(byIndex[3].error).toContain('not-an-email');
    expect(byIndex[4].error).toMatch(/phone number or email/);
    // PostgreSQL cannot store NUL characters: both stores refuse the row alike.
    expect(byIndex[6]).toMatchObject({ field: 'firstName' });
    expect(byIndex[6].error).toMatch(/NUL/);
    expect(byIndex[7].field).toBe('customFields.note');
    expect((await allLeads(api)).map((l) => l.firstName).sort()).toEqual(['Also ok', 'Ok']);
  });

  it('says so when a batch of duplicates and bad rows saves nothing new', async () => {
    const { api } = await t.newWorkspace();
    const id = (await api('POST', '/api/leads', { leads: [{ email: 'known@example.com' }] })).body.leadId;
    const res = await api('POST', '/api/leads', { leads: [{ email: 'known@example.com' }, { phone: 'nope' }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ duplicateOnly: false, savedCount: 0, duplicateCount: 1, errorCount: 1, leadIds: [], existingLeadIds: [id] });
    expect(res.body.message).not.toMatch(/saved successfully|^Leads saved/);
    expect(await allLeads(api)).toHaveLength(1);
  });

  it('answers 400 with every row\'s problem when no lead can be saved, and saves nothing', async () => {
    const { api } = await t.newWorkspace();
    const res = await api('POST', '/api/leads', { leads: [{ phone: 'nope' }, { email: 'also nope' }] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_LEADS');
    expect(res.body.error).toMatch(/errors/);
    expect(res.body.errors.map((e: any) => [e.index, e.field])).toEqual([[0, 'phone'], [1, 'email']]);
    expect(await allLeads(api)).toEqual([]);
  });

  it('rejects a batch with a misspelt field as a whole, naming the row and field', async () => {
    const { api } = await t.newWorkspace();
    const res = await api('POST', '/api/leads', { leads: [{ firstName: 'Fine', email: 'fine@example.com' }, { firstName: 'Typo', emial: 'x@example.com' }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('leads[1].emial');
    expect(await allLeads(api)).toEqual([]);
  });

  it('answers 400 for an empty batch and 404 for a list of another workspace', async () => {
    const { api } = await t.newWorkspace();
    const other = await t.newWorkspace();
    const foreignList = await quickSendsId(other.api);
    expect((await api('POST', '/api/leads', { leads: [] })).status).toBe(400);
    expect((await api('POST', '/api/leads', {})).body.error).toContain('leads');
    const foreign = await api('POST', '/api/leads', { listId: foreignList, leads: [{ email: 'z@example.com' }] });
    expect(foreign.status).toBe(404);
    expect(await allLeads(api)).toEqual([]);
    expect(await allLeads(other.api)).toEqual([]);
  });

  it('round-trips emoji, accents and right-to-left names exactly, and finds them by search', async () => {
    const { api } = await t.newWorkspace();
    const people = [
      { firstName: 'Zoë 🦄', lastName: 'Ångström', email: 'zoe@example.com', customFields: { note: '👍🏽 ok' } },
      { firstName: 'محمد', lastName: 'الأحمد', phone: '+971 50 123 4567', companyName: 'شركة' },
      { firstName: 'שרה', lastName: 'כהן', email: 'sara@example.co.il' },
      { firstName: '太郎', lastName: '山田', email: 'taro@example.jp' },
    ];
    const res = await api('POST', '/api/leads', { leads: people });
    expect(res.status).toBe(201);
    expect(res.body.savedCount).toBe(4);
    const leads = await allLeads(api);
    for (const p of people) {
      const l = leads.find((x) => x.firstName === p.firstName);
      expect(l).toMatchObject({ firstName: p.firstName, lastName: p.lastName });
    }
    expect(leads.find((l) => l.lastName === 'Ångström').customFields).toEqual({ note: '👍🏽 ok' });
    const found = await api('GET', `/api/leads?search=${encodeURIComponent('محمد')}`);
    expect(found.body.leads.map((l: any) => l.lastName)).toEqual(['الأحمد']);
    expect((await api('GET', `/api/leads?search=${encodeURIComponent('🦄')}`)).body.leads).toHaveLength(1);
  });

  it('accepts 10,000 leads (a CSV-sized import, about 2 MB) in one call', async () => {
    const { api } = await t.newWorkspace();
    const leads = Array.from({ length: 10_000 }, (_, i) => ({
      firstName: `Lead${i}`,
      lastName: 'Batch',
      phone: `+1 415 ${String(2000000 + i).slice(0, 3)} ${String(2000000 + i).slice(3)}`,
      email: `lead${i}@bulk.example.com`,
      companyName: `Company ${i % 97}`,
      customFields: { row: i, segment: 'import' },
    }));
    const body = JSON.stringify({ leads });
    expect(body.length).toBeGreaterThan(1.5 * 1024 * 1024);
    const res = await api('POST', '/api/leads', body);
    expect(res.status).toBe(201);
    expect(res.body.savedCount).toBe(10_000);
    expect(res.body.leadIds).toHaveLength(10_000);
    const page = await api('GET', '/api/leads?limit=10');
    expect(page.body.pagination).toEqual({ page: 1, limit: 10, totalCount: 10_000, totalPages: 1000 });
    const quick = page.body.lists.find((l: any) => l.name === 'Quick Sends');
    expect(quick.leadCount).toBe(10_000);

    // The same file again: every row is a duplicate, and nothing new is stored.
    const again = await api('POST', '/api/leads', body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicateOnly: true, duplicateCount: 10_000, totalProcessed: 10_000 });
    expect((await api('GET', '/api/leads?limit=1')).body.pagination.totalCount).toBe(10_000);
  });

  it('refuses more than 10,000 leads in one call with a 400, saving none', async () => {
    const { api } = await t.newWorkspace();
    const leads = Array.from({ length: 10_001 }, (_, i) => ({ email: `x${i}@example.com` }));
    const res = await api('POST', '/api/leads', { leads });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('leads');
    expect(await allLeads(api)).toEqual([]);
  });

  it('takes bodies up to 10 MB on this endpoint (a 2 MB one is fine) and answers 413 above, staying up', async () => {
    const { api } = await t.newWorkspace();
    const spread = Array.from({ length: 120 }, (_, i) => ({ email: `w${i}@example.com`, notes: 'w'.repeat(18_000) }));
    expect(JSON.stringify({ leads: spread }).length).toBeGreaterThan(2 * 1024 * 1024);
    const ok = await api('POST', '/api/leads', { leads: spread });
    expect(ok.status).toBe(201);
    expect(ok.body.savedCount).toBe(120);

    const huge = await api('POST', '/api/leads', { leads: [{ email: 'huge@example.com', notes: 'h'.repeat(11 * 1024 * 1024) }] });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(huge.body.error).toMatch(/10 MB/);
    expect((await api('GET', '/api/leads?limit=1')).body.pagination.totalCount).toBe(120);
  });

  it('answers 400 INVALID_JSON for a malformed body and stays up', async () => {
    const { api } = await t.newWorkspace();
    const res = await api('POST', '/api/leads', '{"leads": [{"firstName": "A",]}');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_JSON');
    expect((await api('GET', '/api/leads')).status).toBe(200);
  });

  it('stores one lead when the same new contact is posted several times at once', async () => {
    const { api } = await t.newWorkspace();
    // Each call also carries the same 500 other contacts, so the calls overlap in the store.
    const filler = Array.from({ length: 500 }, (_, j) => ({ email: `filler${j}@example.com` }));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api('POST', '/api/leads', { leads: [{ firstName: `Try${i}`, phone: '+14155550123', email: `same${i}@example.com` }, ...filler, { email: 'shared@example.com' }] }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const leads = await allLeads(api);
    expect(leads.filter((l) => l.phone === '+14155550123')).toHaveLength(1);
    expect(leads.filter((l) => l.email === 'shared@example.com')).toHaveLength(1);
    const total = (await api('GET', '/api/leads?limit=1')).body.pagination.totalCount;
    expect(total).toBe(1 + 500 + 1);
    expect(results.reduce((n, r) => n + r.body.savedCount, 0)).toBe(total);
  });
});

describe('GET /api/leads', () => {
  it('searches first and last name, email, phone and company, case-insensitively', async () => {
    const { api } = await t.newWorkspace();
    await api('POST', '/api/leads', {
      leads: [
        { firstName: 'Maria', lastName: 'Garcia', email: 'maria_g@example.com', phone: '+13055550111', companyName: 'Sunshine LLC' },
        { firstName: 'Mark', lastName: 'Stone', email: 'mark@stone.example', phone: '+12125550222', companyName: 'Stoneworks' },
        { firstName: 'Lee', lastName: 'Park', email: 'lee@example.org', phone: '+19045550333', companyName: '100% Agency' },
      ],
    });
    const names = async (q: string) => (await api('GET', `/api/leads?search=${encodeURIComponent(q)}`)).body.leads.map((l: any) => l.firstName).sort();
    expect(await names('MAR')).toEqual(['Maria', 'Mark']);
    expect(await names('garcia')).toEqual(['Maria']);
    expect(await names('STONE.example')).toEqual(['Mark']);
    expect(await names('sunshine')).toEqual(['Maria']);
    expect(await names('(904) 555')).toEqual(['Lee']);
    expect(await names('2125550222')).toEqual(['Mark']);
    // Characters that are wildcards in SQL are matched literally.
    expect(await names('maria_g')).toEqual(['Maria']);
    expect(await names('a_g')).toEqual(['Maria']);
    expect(await names('100%')).toEqual(['Lee']);
    expect(await names('0%')).toEqual(['Lee']);
    expect(await names('%')).toEqual(['Lee']);
    expect(await names('_')).toEqual(['Maria']);
    expect(await names('nobody')).toEqual([]);
  });

  it('pages newest first with the documented pagination block, and filters by list', async () => {
    const { api } = await t.newWorkspace();
    const list = (await api('POST', '/api/lists', { name: 'Paged' })).body.list;
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1000);
      await api('POST', '/api/leads', { listId: list._id, leads: [{ firstName: `P${i}`, email: `p${i}@example.com` }] });
    }
    await api('POST', '/api/leads', { leads: [{ firstName: 'Elsewhere', email: 'e@example.com' }] });

    const p1 = await api('GET', `/api/leads?listId=${list._id}&limit=2`);
    expect(p1.status).toBe(200);
    expect(p1.body.pagination).toEqual({ page: 1, limit: 2, totalCount: 5, totalPages: 3 });
    expect(p1.body.leads.map((l: any) => l.firstName)).toEqual(['P4', 'P3']);
    const p3 = await api('GET', `/api/leads?listId=${list._id}&limit=2&page=3`);
    expect(p3.body.leads.map((l: any) => l.firstName)).toEqual(['P0']);
    const beyond = await api('GET', `/api/leads?listId=${list._id}&limit=2&page=9`);
    expect(beyond.body.leads).toEqual([]);

    const all = await api('GET', '/api/leads');
    expect(all.body.pagination).toEqual({ page: 1, limit: 50, totalCount: 6, totalPages: 1 });
    expect(all.body.lists.map((l: any) => [l.name, l.leadCount])).toEqual([['Quick Sends', 1], ['Paged', 5]]);

    expect((await api('GET', '/api/leads?limit=0')).status).toBe(400);
    expect((await api('GET', '/api/leads?page=abc')).status).toBe(400);
    expect((await api('GET', '/api/leads?colour=red')).status).toBe(400);
  });

  it('returns { lead } for ?id= and GET /api/leads/{id}, and 404 for an unknown or foreign id', async () => {
    const { api } = await t.newWorkspace();
    const other = await t.newWorkspace();
    const id = (await api('POST', '/api/leads', { leads: [{ firstName: 'Solo', email: 'solo@example.com' }] })).body.leadId;
    expect((await api('GET', `/api/leads?id=${id}`)).body.lead.firstName).toBe('Solo');
    expect((await api('GET', `/api/leads/${id}`)).body.lead._id).toBe(id);
    const foreign = await other.api('GET', `/api/leads?id=${id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ error: 'Lead not found', code: 'NOT_FOUND' });
    expect((await other.api('GET', `/api/leads/${id}`)).status).toBe(404);
    expect((await api('GET', '/api/leads?id=0123456789abcdef01234567')).status).toBe(404);
    expect((await api('GET', '/api/leads?id=nope')).status).toBe(400);
    expect((await other.api('GET', '/api/leads')).body.leads).toEqual([]);
  });
});

describe('DELETE /api/leads', () => {
  it('deletes the caller\'s leads, silently ignores foreign and unknown ids, and list counts follow', async () => {
    const { api } = await t.newWorkspace();
    const other = await t.newWorkspace();
    const mine = (await api('POST', '/api/leads', { leads: [{ email: 'd1@example.com' }, { email: 'd2@example.com' }, { email: 'd3@example.com' }] })).body.leadIds;
    const theirs = (await other.api('POST', '/api/leads', { leads: [{ email: 'd1@example.com' }] })).body.leadId;

    const res = await api('DELETE', '/api/leads', { ids: [mine[0], mine[1], theirs, '0123456789abcdef01234567', 'not-an-id'] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deletedCount: 2 });
    expect((await api('GET', `/api/leads?id=${mine[0]}`)).status).toBe(404);
    expect((await other.api('GET', `/api/leads?id=${theirs}`)).status).toBe(200);
    const lists = (await api('GET', '/api/lists')).body.lists;
    expect(lists[0].leadCount).toBe(1);

    expect((await api('DELETE', '/api/leads', { ids: [mine[0]] })).body).toEqual({ deletedCount: 0 });
    const empty = await api('DELETE', '/api/leads', { ids: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toContain('ids');
    expect((await api('DELETE', '/api/leads', {})).status).toBe(400);
  });
});

describe('PATCH /api/leads/{id}', () => {
  it('updates the given fields only, normalising addresses', async () => {
    const { api } = await t.newWorkspace();
    const list = (await api('POST', '/api/lists', { name: 'Moved' })).body.list;
    const id = (await api('POST', '/api/leads', { leads: [{ firstName: 'Pat', lastName: 'Old', email: 'pat@example.com', companyName: 'Keep' }] })).body.leadId;
    t.clock.advance(5000);
    const res = await api('PATCH', `/api/leads/${id}`, {
      lastName: 'New',
      phone: '07700 900123',
      defaultCountryCode: 'GB',
      customFields: { stage: 'demo' },
      tags: ['warm'],
      listId: list._id,
    });
    expect(res.status).toBe(200);
    expect(res.body.lead).toMatchObject({
      _id: id,
      firstName: 'Pat',
      lastName: 'New',
      email: 'pat@example.com',
      phone: '+447700900123',
      companyName: 'Keep',
      customFields: { stage: 'demo' },
      tags: ['warm'],
      listId: list._id,
    });
    expect(Date.parse(res.body.lead.updatedAt)).toBeGreaterThan(Date.parse(res.body.lead.createdAt));
    const lists = (await api('GET', '/api/lists')).body.lists;
    expect(lists.map((l: any) => [l.name, l.leadCount])).toEqual([['Quick Sends', 0], ['Moved', 1]]);
  });

  it('answers 409 when the new phone or email belongs to another lead, changing nothing', async () => {
    const { api } = await t.newWorkspace();
    const [a, b] = (await api('POST', '/api/leads', { leads: [{ firstName: 'A', phone: '+14155550199' }, { firstName: 'B', email: 'b@example.com' }] })).body.leadIds;
    const byPhone = await api('PATCH', `/api/leads/${b}`, { firstName: 'B2', phone: '(415) 555-0199' });
    expect(byPhone.status).toBe(409);
    expect(byPhone.body.code).toBe('DUPLICATE_LEAD');
    expect(byPhone.body.error).toContain(a);
    expect(byPhone.body.error).toContain('phone');
    const byEmail = await api('PATCH', `/api/leads/${a}`, { email: 'B@Example.com' });
    expect(byEmail.status).toBe(409);
    expect(byEmail.body.error).toContain('email');
    expect((await api('GET', `/api/leads/${b}`)).body.lead).toMatchObject({ firstName: 'B', phone: null });
    // Setting a lead's own address again is not a conflict.
    expect((await api('PATCH', `/api/leads/${a}`, { phone: '+1 415 555 0199' })).status).toBe(200);
  });

  it('answers 400 for an unreadable phone or a lead left with no address, changing nothing', async () => {
    const { api } = await t.newWorkspace();
    const id = (await api('POST', '/api/leads', { leads: [{ firstName: 'Q', email: 'q@example.com' }] })).body.leadId;
    const nul = await api('PATCH', `/api/leads/${id}`, { notes: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.body.error).toMatch(/notes contains a NUL/);
    const bad = await api('PATCH', `/api/leads/${id}`, { phone: 'garbage' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('phone');
    const none = await api('PATCH', `/api/leads/${id}`, { firstName: 'Gone', email: null });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatch(/phone number or email/);
    expect((await api('GET', `/api/leads/${id}`)).body.lead).toMatchObject({ firstName: 'Q', email: 'q@example.com' });
    // An alternate address is enough to keep it reachable.
    const alt = await api('PATCH', `/api/leads/${id}`, { email: null, altEmail2: 'q.alt@example.com' });
    expect(alt.status).toBe(200);
    expect(alt.body.lead).toMatchObject({ email: null, altEmail2: 'q.alt@example.com' });
  });

  it('answers 404 for a foreign lead or list and 400 for unknown fields', async () => {
    const { api } = await t.newWorkspace();
    const other = await t.newWorkspace();
    const id = (await api('POST', '/api/leads', { leads: [{ email: 'r@example.com' }] })).body.leadId;
    expect((await other.api('PATCH', `/api/leads/${id}`, { firstName: 'Hijack' })).status).toBe(404);
    const foreignList = await quickSendsId(other.api);
    expect((await api('PATCH', `/api/leads/${id}`, { listId: foreignList })).status).toBe(404);
    const unknown = await api('PATCH', `/api/leads/${id}`, { nickname: 'R' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toContain('nickname');
    expect((await api('GET', `/api/leads/${id}`)).body.lead.firstName).toBeNull();
  });
});
