// The operator's dashboard (ADMIN_IDS only): the books against the chain, withdrawals waiting for
// approval, deposits nobody claimed, payouts, merchants, users and the audit trail.
import { useState } from 'react';
import { Tabs, type Tab } from '../../components/Tabs';
import { Approvals } from './Approvals';
import { AdminAudit } from './AdminAudit';
import { Merchants } from './Merchants';
import { Overview } from './Overview';
import { Unmatched } from './Unmatched';
import { Users } from './Users';
import { Withdrawals } from './Withdrawals';

type Name = 'overview' | 'approvals' | 'unmatched' | 'withdrawals' | 'merchants' | 'users' | 'audit';

const TABS: Tab<Name>[] = [
  { name: 'overview', label: 'Overview' },
  { name: 'approvals', label: 'Approvals' },
  { name: 'unmatched', label: 'Unmatched' },
  { name: 'withdrawals', label: 'Withdrawals' },
  { name: 'merchants', label: 'Merchants' },
  { name: 'users', label: 'Users' },
  { name: 'audit', label: 'Audit' },
];

export function Admin() {
  const [tab, setTab] = useState<Name>('overview');
  return (
    <>
      <Tabs tabs={TABS} value={tab} onChange={setTab} prefix="admin" />
      {tab === 'overview' && <Overview onOpen={setTab} />}
      {tab === 'approvals' && <Approvals />}
      {tab === 'unmatched' && <Unmatched />}
      {tab === 'withdrawals' && <Withdrawals />}
      {tab === 'merchants' && <Merchants />}
      {tab === 'users' && <Users />}
      {tab === 'audit' && <AdminAudit />}
    </>
  );
}
