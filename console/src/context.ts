import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import { can, type Permission, type Session } from './session';

export const AppContext = createContext<{ session: Session; api: Api } | null>(null);

export function useApp() {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppContext');
  return value;
}

/** Whether the signed-in roles grant `permission` (write controls are hidden otherwise). */
export function useCan(permission: Permission): boolean {
  return can(useApp().session, permission);
}
