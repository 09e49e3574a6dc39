/**
 * The one authorization decision that every subscribe, history read and publish passes through, whatever the
 * transport: {@link dev.herald.security.Authorizer}. Herald allows everything by default; an application replaces
 * the decision with its own bean.
 */
package dev.herald.security;
