// The operator's dashboard (ADMIN_IDS only): the books against the chain, withdrawals waiting for
// approval, deposits nobody claimed, payouts, merchants, users and the audit trail.
import { useState } from 'react';
import { Tabs, type Tab } from '../../components/Tabs';
import { t } from '../../lib/i18n';
import { Approvals } from './Approvals';
import { AdminAudit } from './AdminAudit';
import { Merchants } from './Merchants';
import { Overview } from './Overview';
import { Unmatched } from './Unmatched';
import { Users } from './Users';
import { Withdrawals } from './Withdrawals';

type Name = 'overview' | 'approvals' | 'unmatched' | 'withdrawals' | 'merchants' | 'users' | 'audit';

const tabs = (): Tab<Name>[] => [
  { name: 'overview', label: t('tab_overview') },
  { name: 'approvals', label: t('tab_approvals') },
  { name: 'unmatched', label: t('tab_unmatched') },
  { name: 'withdrawals', label: t('tab_withdrawals') },
  { name: 'merchants', label: t('tab_merchants') },
  { name: 'users', label: t('tab_users') },
  { name: 'audit', label: t('tab_audit') },
];

export function Admin() {
  const [tab, setTab] = useState<Name>('overview');
  return (
    <>
      <Tabs tabs={tabs()} value={tab} onChange={setTab} prefix="admin" />
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
