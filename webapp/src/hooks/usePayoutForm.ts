import { useMemo, useState } from 'react';
import { toRaw } from '../lib/address';
import { parseAmount, toUnits } from '../lib/amount';
import { amountError as amountErrorText, amountText, sameAsset, t, type Key } from '../lib/i18n';
import type { Asset, Balance } from '../lib/types';

/**
 * The form of a payout from a balance, shared by the user's Withdraw screen and the merchant
 * dashboard's payout form: asset, destination address and amount, checked as they are typed
 * (the amount in the asset's decimals and within the balance, the address a TON one). The
 * server's rule book has the last word (its quote); this only saves a round trip.
 */
export function usePayoutForm({
  assets,
  balanceOf,
  overBalance,
  emptyAddress,
}: {
  /** What can be paid out (never empty). */
  assets: Asset[];
  /** The balance the payout comes from, per asset. */
  balanceOf: (asset: string) => Balance;
  /** The message for an amount above the balance ({balance} is filled in). */
  overBalance: Key;
  /** The message for a missing address. */
  emptyAddress: Key;
}) {
  const [asset, setAsset] = useState(assets[0].symbol);
  const [address, setAddress] = useState('');
  const [amount, setAmount] = useState('');
  const [submitted, setSubmitted] = useState(false);

  const decimals = assets.find((a) => sameAsset(a.symbol, asset))?.decimals ?? 9;
  const bal = balanceOf(asset);
  const parsed = useMemo(() => parseAmount(amount, decimals, asset), [amount, decimals, asset]);
  let amountError = !parsed.ok && (amount.trim() !== '' || submitted) ? amountErrorText(parsed, asset) : null;
  if (!amountError && parsed.ok && parsed.units > toUnits(bal.amount)) {
    amountError = t(overBalance, { balance: amountText(bal.formatted, asset) });
  }
  const addrOk = toRaw(address) !== null;
  const addressError =
    (address.trim() !== '' || submitted) && !addrOk ? (address.trim() === '' ? t(emptyAddress) : t('address_invalid')) : null;
  /** The form's terms (asset, units, address); '' while the amount does not parse. */
  const form = parsed.ok ? `${asset}|${parsed.units}|${address.trim()}` : '';
  /** Whether the form may be sent: it parses, fits the balance and has an address. */
  const valid = parsed.ok && !amountError && addrOk;

  return {
    asset,
    setAsset,
    address,
    setAddress,
    amount,
    setAmount,
    submitted,
    setSubmitted,
    bal,
    parsed,
    amountError,
    addrOk,
    addressError,
    form,
    valid,
  };
}
