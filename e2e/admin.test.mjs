// Browser test of Administration against a running `callrec demo`: add a
// user with every field of the guide (inline errors first), groups with the
// default group's protection, a CSV import dry run with an error row, Bulk
// Edit of three users including a license pool that runs out, tenant
// settings, the audit log and the provider's tenants. Screenshots go to
// $SCREENSHOTS for a human to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, signIn as signInAs } from './lib/browser.mjs';
import { assertNoOverflow } from './lib/layout.mjs';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
assert.ok(base, 'BASE_URL is required (run e2e/run.sh)');

const tenantAdmin = { login: 'admin@contoso.example', password: 'Contoso#2026' };
const provider = { login: 'provider', password: 'Provider#2026' };

let browser;
let page;
const problems = [];

before(async () => {
  ({ browser, page } = await launch({ timeout: 10000 }, problems));
});

after(async () => {
  await browser?.close();
});

// shot keeps a screenshot of the page and checks that nothing on it
// overflows at 1366 px.
async function shot(name, fullPage = true) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });
  await assertNoOverflow(page, name);
}

const signIn = (who) => signInAs(page, base, who);

const adminNav = () => page.getByRole('navigation', { name: 'Administration' });

// submit clicks a button and waits for the page it leads to.
async function submit(name, scope = page) {
  await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), scope.getByRole('button', { name, exact: true }).click()]);
}

test('users list and add a user with every field, errors inline first', async () => {
  await signIn(tenantAdmin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  await page.getByRole('rowheader', { name: /Megan Bowen/ }).waitFor();
  await shot('20-users');

  // The filters work by keyboard: type, Enter.
  await page.getByLabel('Search').fill('nobody-here');
  await Promise.all([page.waitForNavigation(), page.getByLabel('Search').press('Enter')]);
  await page.getByText('No user matches these filters.').waitFor();
  await shot('20b-users-empty');

  await page.goto(`${base}/admin/users/new`);
  for (const section of ['User info', 'Recording settings', 'Screen recording settings', 'Web portal access settings', 'Phone softkey services', 'Licensing']) {
    await page.getByRole('heading', { name: section, exact: true }).waitFor();
  }
  assert.ok(await page.getByRole('checkbox', { name: /Call recording license/ }).isChecked(), 'call recording is on by default');
  assert.ok(await page.getByRole('checkbox', { name: /Live monitoring license/ }).isChecked(), 'live monitoring is on by default');
  assert.ok(await page.getByRole('radio', { name: 'Advanced' }).isChecked(), 'advanced speech analytics by default');
  assert.match(await page.getByText(/Screen recording license/).innerText(), /5 of 5 left/);

  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Extension 1').fill('12');
  await page.getByLabel('Screen Recording Username').fill('a\\b\\c');
  await submit('Save');
  await page.getByRole('alert').filter({ hasText: 'nothing was saved' }).waitFor();
  for (const id of ['err-name', 'err-email', 'err-extensions', 'err-screen_recording_username']) {
    assert.ok(await page.locator(`#${id}`).isVisible(), `${id} shown beside its field`);
  }
  assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
  await shot('21-user-errors');

  await page.getByLabel('Name *').fill('Katie Jordan');
  await page.getByRole('checkbox', { name: 'Active' }).check();
  await page.getByLabel('Role *').selectOption({ label: 'Teams Supervisor | Supervisor' });
  await page.getByLabel('Email').fill('katie@contoso.example');
  await page.getByLabel('Timezone').selectOption('Europe/London');
  await page.getByLabel('Language').selectOption({ label: 'Français' });
  await page.getByRole('radio', { name: 'Always' }).check();
  await page.getByRole('checkbox', { name: 'Outbound' }).uncheck();
  await page.getByLabel('Extension 1').fill('1535');
  await submit('+ Add extension');
  await page.getByLabel('Extension 2').fill('+18885551212');
  await page.getByRole('checkbox', { name: /Automatically mark all calls/ }).check();
  await page.getByLabel('Screen Recording Username').fill('CONTOSO\\katie');
  await page.getByLabel('Login').fill('katie@contoso.example');
  await page.getByRole('checkbox', { name: 'Enable' }).check();
  await page.getByRole('radio', { name: 'SAML 2.0' }).check();
  await page.getByLabel('Valid till').fill('2027-06-30');
  await page.getByText('+ Set/reset PIN').click();
  await page.getByLabel('New PIN').fill('4321');
  await page.getByRole('checkbox', { name: /Screen recording license/ }).check();
  await page.getByRole('checkbox', { name: /Agent evaluation license/ }).check();
  await page.getByRole('radio', { name: 'Basic' }).check();
  await submit('Save');
  await page.getByText('The user was added.').waitFor();
  await page.getByRole('heading', { level: 1, name: 'Katie Jordan' }).waitFor();
  const exts = [await page.getByLabel('Extension 1').inputValue(), await page.getByLabel('Extension 2').inputValue()];
  assert.deepEqual(exts.sort(), ['+18885551212', '1535']);
  assert.match(await page.getByText(/Screen recording license/).innerText(), /4 of 5 left/);
  assert.match(await page.getByText(/PIN for phone softkey services/).innerText(), /A PIN is set/);
  await shot('22-user-edit');
});

test('groups: add, add a member, edit, default group protected', async () => {
  await adminNav().getByRole('link', { name: 'Groups' }).click();
  await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
  const usersRow = page.getByRole('row', { name: /Users Default/ });
  await usersRow.getByText('Locked: holds every user').waitFor();
  assert.equal(await usersRow.getByRole('link', { name: /Edit Group/ }).count(), 0, 'the default group has no Edit');
  await page.getByRole('link', { name: '+ Add Group' }).click();
  await page.getByLabel('Name *').fill('Call Center - ATL');
  await page.getByLabel('Timezone').selectOption('America/New_York');
  await submit('Save');
  await page.getByText('The group was added.').waitFor();
  await page.getByLabel('User', { exact: true }).selectOption({ label: 'Katie Jordan (katie@contoso.example)' });
  await submit('Add to group');
  await page.getByText('The user was added to the group.').waitFor();
  await page.getByRole('rowheader', { name: 'Katie Jordan' }).waitFor();
  await shot('23-group-members');

  await page.getByRole('link', { name: 'Edit Group' }).click();
  await page.getByLabel('Name *').fill('Users');
  await submit('Save');
  await page.locator('#err-name').filter({ hasText: 'already exists' }).waitFor();
  await page.getByLabel('Name *').fill('Call Center - Atlanta');
  await submit('Save');
  await page.getByText('The group was saved.').waitFor();

  await page.goto(`${base}/admin/groups`);
  await page.getByRole('row', { name: /Call Center - Atlanta/ }).getByRole('cell', { name: '1', exact: true }).waitFor();
  await shot('24-groups');
  await page.getByRole('table').getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('note').getByText("This is the tenant's default group.").waitFor();
  assert.equal(await page.getByRole('button', { name: /^Remove/ }).count(), 0, 'no Remove in the default group');
  await shot('25-default-group');
  const url = new URL(page.url());
  const res = await page.goto(`${url.origin}${url.pathname}/edit`);
  assert.equal(res.status(), 409);
  await page.getByText(/must stay one/).waitFor();
  await shot('26-default-group-refused');
});

test('CSV import: a dry run reports the bad row and writes nothing', async () => {
  await page.goto(`${base}/admin/users`);
  await adminNav().getByRole('link', { name: 'Import users' }).click();
  const csv = [
    'name,login,email,role,groups,extensions,licenses',
    'Allan Deyoung,allan@contoso.example,allan@contoso.example,user,Call Center - Atlanta,7101,call_recording',
    'Diego Siciliani,diegos@contoso.example,diegos@contoso.example,user,,7102,call_recording',
    'Isaiah Langer,isaiahl@contoso.example,isaiahl@contoso.example,user,,7103,call_recording',
    'Lee Gu,leeg@contoso.example,leeg@contoso.example,user,,7104,call_recording;screen_recording',
    'Nestor Wilke,nestorw@contoso.example,nestor-at-contoso,boss,Marketing,12,screen_recording',
  ].join('\n');
  await page.getByLabel('Or paste CSV').fill(csv);
  await submit('Check file (dry run)');
  const result = page.locator('#result');
  await result.getByRole('heading', { name: /problems found, nothing was written/ }).waitFor();
  const rows = result.getByRole('table').getByRole('row');
  assert.ok(await rows.filter({ hasText: 'Nestor Wilke' }).filter({ hasText: 'not a valid email address' }).count() === 1);
  assert.ok(await rows.filter({ hasText: 'no group named "Marketing"' }).count() === 1);
  assert.match(await result.innerText(), /4 users would be added/);
  assert.ok(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled());
  await shot('27-import-dry-run');

  await page.goto(`${base}/admin/users?search=nestorw`);
  await page.getByText('No user matches these filters.').waitFor();

  await page.goto(`${base}/admin/users/import`);
  await page.getByLabel('Or paste CSV').fill(csv.replace('nestor-at-contoso', 'nestorw@contoso.example').replace('boss,Marketing,12', 'user,,7105'));
  await submit('Check file (dry run)');
  await page.locator('#result').getByRole('heading', { name: 'The file is ready to import' }).waitFor();
  await submit('Import');
  await page.getByText('The import finished').waitFor();
  await page.getByRole('rowheader', { name: /Nestor Wilke/ }).waitFor();
});

// openBulk selects the three imported agents and opens Bulk Edit with a
// role and a group to add.
async function openBulk() {
  await page.goto(`${base}/admin/users`);
  for (const name of ['Allan Deyoung', 'Diego Siciliani', 'Isaiah Langer']) {
    await page.getByRole('checkbox', { name: `Select ${name}` }).check();
  }
  await submit('Bulk edit selected');
  await page.getByRole('heading', { name: '3 selected users' }).waitFor();
  await page.getByLabel('Role').selectOption({ label: 'Teams Supervisor | Supervisor' });
  await page.getByRole('group', { name: 'Add to groups' }).getByRole('checkbox', { name: 'Call Center - Atlanta' }).check();
}

test('bulk edit of three users: a pool that runs out applies nothing', async () => {
  await openBulk();
  // Screen recording: 5 purchased; Katie, Lee and Nestor hold one, so 2 are left for 3 users.
  await page.getByLabel('Screen recording license').selectOption('Assign');
  await submit('Preview changes');
  await page.getByRole('alert').filter({ hasText: 'Screen recording needs 3, 2 left' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Apply to/ }).count(), 0, 'nothing can be applied');
  await shot('28-bulk-pool-short');

  await page.goto(`${base}/admin/users?role=supervisor`);
  assert.equal(await page.getByRole('rowheader').count(), 2, 'only Megan and Katie are supervisors: nothing was applied');

  await openBulk();
  await page.getByLabel('Agent evaluation license').selectOption('Assign');
  await submit('Preview changes');
  const preview = page.locator('#preview');
  await preview.getByRole('cell', { name: 'Teams Supervisor | Supervisor' }).first().waitFor();
  await shot('29-bulk-preview');
  await submit('Apply to 3 users');
  await page.getByText('Bulk Edit applied the changes').waitFor();
  await page.goto(`${base}/admin/users?role=supervisor`);
  assert.equal(await page.getByRole('rowheader').count(), 5);
});

test('tenant settings and the audit log', async () => {
  await page.goto(`${base}/admin/settings`);
  await page.getByRole('heading', { name: 'License usage' }).waitFor();
  assert.match(await page.locator('#t-ret').innerText(), /90 days/);
  await shot('30-settings');
  await adminNav().getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').selectOption('user.bulk_update');
  await submit('Filter');
  assert.equal(await page.getByRole('table').getByRole('row').count(), 4, 'a header and one entry per user');
  await page.getByRole('table').getByText('Allan Deyoung').waitFor();
  await shot('31-audit');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'audit-log.csv');
});

test('SIPREC sources: a bad address is shown inline, then the SBC is added, edited and listed', async () => {
  await adminNav().getByRole('link', { name: 'SIPREC sources' }).click();
  await page.getByRole('heading', { level: 1, name: 'SIPREC sources' }).waitFor();
  await page.getByLabel('Name').fill('Frankfurt SBC');
  await page.getByLabel('Address').fill('192.0.2.300');
  await submit('Add source');
  assert.equal(await page.getByLabel('Address').getAttribute('aria-invalid'), 'true');
  await page.getByText('an IP address or a CIDR prefix').waitFor();
  await shot('35-sip-source-error');
  await page.getByLabel('Address').fill('192.0.2.0/28');
  await page.getByLabel('Domain or request-URI user').fill('sbc.contoso.example');
  await submit('Add source');
  await page.getByText('The SIPREC source was added').waitFor();
  const row = page.getByRole('row', { name: /Frankfurt SBC/ });
  await row.getByText('192.0.2.0/28').waitFor();
  await row.getByRole('link', { name: /Edit/ }).click();
  await page.getByLabel('Address').fill('192.0.2.10');
  await submit('Save');
  await page.getByRole('row', { name: /Frankfurt SBC/ }).getByText('192.0.2.10').waitFor();
  await shot('36-sip-sources');
});

test('provider: tenants list, edit pools, switch into a tenant', async () => {
  await signIn(provider);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
  await page.getByRole('rowheader', { name: /Contoso/ }).waitFor();
  await shot('32-tenants');
  await page.getByRole('link', { name: 'Edit Contoso' }).click();
  await page.getByRole('spinbutton', { name: 'Screen recording' }).fill('1');
  await submit('Save');
  await page.locator('#err-licenses\\.screen_recording').filter({ hasText: 'fewer than the licenses already assigned' }).waitFor();
  await shot('33-tenant-edit-error');
  await page.getByRole('spinbutton', { name: 'Screen recording' }).fill('10');
  await page.getByLabel('Retention (storage package)').fill('365');
  await submit('Save');
  await page.getByText('The tenant was saved.').waitFor();
  await page.getByRole('row', { name: /Contoso/ }).getByText('Retention 365 days').waitFor();

  await page.getByRole('link', { name: '+ Add tenant' }).click();
  await page.getByLabel('Name *').fill('Fabrikam');
  await page.getByLabel('Account number').fill('3100009999');
  await submit('Save');
  await page.getByText('The tenant was created').waitFor();
  await page.getByRole('row', { name: /Fabrikam/ }).getByRole('button', { name: /Switch into/ }).click();
  await page.getByText('You are acting in tenant Fabrikam').waitFor();
  await page.goto(`${base}/admin/users`);
  await page.getByText('No users yet.').waitFor();
  await shot('34-provider-empty-tenant');
});

test('no console errors or CSP violations', () => {
  assert.deepEqual(problems, []);
});
