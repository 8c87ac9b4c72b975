/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment SessionUser on User {\n  id\n  username\n  displayName\n  roles\n  branchCode\n  totpEnrolled\n  mustChangePassword\n}\n\nquery Me {\n  me {\n    ...SessionUser\n  }\n}\n\nmutation SignIn($username: String!, $password: String!) {\n  signIn(username: $username, password: $password) {\n    mfaRequired\n    mfaEnrollmentRequired\n    passwordChangeRequired\n    expiresAt\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation VerifyTotp($code: String!) {\n  verifyTotp(code: $code) {\n    ...SessionUser\n  }\n}\n\nmutation UseRecoveryCode($code: String!) {\n  useRecoveryCode(code: $code) {\n    remainingRecoveryCodes\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation EnrollTotp {\n  enrollTotp {\n    secret\n    otpauthUri\n  }\n}\n\nmutation ConfirmTotp($code: String!) {\n  confirmTotp(code: $code) {\n    codes\n  }\n}\n\nmutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n}\n\nmutation SignOut {\n  signOut\n}": typeof types.SessionUserFragmentDoc,
    "query DashboardClasses {\n  all: loans(first: 1) {\n    totalCount\n  }\n  normal: loans(first: 1, filter: {classification: NORMAL}) {\n    totalCount\n  }\n  specialMention: loans(first: 1, filter: {classification: SPECIAL_MENTION}) {\n    totalCount\n  }\n  substandard: loans(first: 1, filter: {classification: SUBSTANDARD}) {\n    totalCount\n  }\n  doubtful: loans(first: 1, filter: {classification: DOUBTFUL}) {\n    totalCount\n  }\n  loss: loans(first: 1, filter: {classification: LOSS}) {\n    totalCount\n  }\n}": typeof types.DashboardClassesDocument,
    "query MyPermissions {\n  myPermissions {\n    roles\n    branchCode\n    types {\n      typeName\n      fields {\n        field\n        access\n      }\n    }\n    operations {\n      mutation\n      allowed\n    }\n  }\n}": typeof types.MyPermissionsDocument,
};
const documents: Documents = {
    "fragment SessionUser on User {\n  id\n  username\n  displayName\n  roles\n  branchCode\n  totpEnrolled\n  mustChangePassword\n}\n\nquery Me {\n  me {\n    ...SessionUser\n  }\n}\n\nmutation SignIn($username: String!, $password: String!) {\n  signIn(username: $username, password: $password) {\n    mfaRequired\n    mfaEnrollmentRequired\n    passwordChangeRequired\n    expiresAt\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation VerifyTotp($code: String!) {\n  verifyTotp(code: $code) {\n    ...SessionUser\n  }\n}\n\nmutation UseRecoveryCode($code: String!) {\n  useRecoveryCode(code: $code) {\n    remainingRecoveryCodes\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation EnrollTotp {\n  enrollTotp {\n    secret\n    otpauthUri\n  }\n}\n\nmutation ConfirmTotp($code: String!) {\n  confirmTotp(code: $code) {\n    codes\n  }\n}\n\nmutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n}\n\nmutation SignOut {\n  signOut\n}": types.SessionUserFragmentDoc,
    "query DashboardClasses {\n  all: loans(first: 1) {\n    totalCount\n  }\n  normal: loans(first: 1, filter: {classification: NORMAL}) {\n    totalCount\n  }\n  specialMention: loans(first: 1, filter: {classification: SPECIAL_MENTION}) {\n    totalCount\n  }\n  substandard: loans(first: 1, filter: {classification: SUBSTANDARD}) {\n    totalCount\n  }\n  doubtful: loans(first: 1, filter: {classification: DOUBTFUL}) {\n    totalCount\n  }\n  loss: loans(first: 1, filter: {classification: LOSS}) {\n    totalCount\n  }\n}": types.DashboardClassesDocument,
    "query MyPermissions {\n  myPermissions {\n    roles\n    branchCode\n    types {\n      typeName\n      fields {\n        field\n        access\n      }\n    }\n    operations {\n      mutation\n      allowed\n    }\n  }\n}": types.MyPermissionsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment SessionUser on User {\n  id\n  username\n  displayName\n  roles\n  branchCode\n  totpEnrolled\n  mustChangePassword\n}\n\nquery Me {\n  me {\n    ...SessionUser\n  }\n}\n\nmutation SignIn($username: String!, $password: String!) {\n  signIn(username: $username, password: $password) {\n    mfaRequired\n    mfaEnrollmentRequired\n    passwordChangeRequired\n    expiresAt\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation VerifyTotp($code: String!) {\n  verifyTotp(code: $code) {\n    ...SessionUser\n  }\n}\n\nmutation UseRecoveryCode($code: String!) {\n  useRecoveryCode(code: $code) {\n    remainingRecoveryCodes\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation EnrollTotp {\n  enrollTotp {\n    secret\n    otpauthUri\n  }\n}\n\nmutation ConfirmTotp($code: String!) {\n  confirmTotp(code: $code) {\n    codes\n  }\n}\n\nmutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n}\n\nmutation SignOut {\n  signOut\n}"): (typeof documents)["fragment SessionUser on User {\n  id\n  username\n  displayName\n  roles\n  branchCode\n  totpEnrolled\n  mustChangePassword\n}\n\nquery Me {\n  me {\n    ...SessionUser\n  }\n}\n\nmutation SignIn($username: String!, $password: String!) {\n  signIn(username: $username, password: $password) {\n    mfaRequired\n    mfaEnrollmentRequired\n    passwordChangeRequired\n    expiresAt\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation VerifyTotp($code: String!) {\n  verifyTotp(code: $code) {\n    ...SessionUser\n  }\n}\n\nmutation UseRecoveryCode($code: String!) {\n  useRecoveryCode(code: $code) {\n    remainingRecoveryCodes\n    user {\n      ...SessionUser\n    }\n  }\n}\n\nmutation EnrollTotp {\n  enrollTotp {\n    secret\n    otpauthUri\n  }\n}\n\nmutation ConfirmTotp($code: String!) {\n  confirmTotp(code: $code) {\n    codes\n  }\n}\n\nmutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n}\n\nmutation SignOut {\n  signOut\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query DashboardClasses {\n  all: loans(first: 1) {\n    totalCount\n  }\n  normal: loans(first: 1, filter: {classification: NORMAL}) {\n    totalCount\n  }\n  specialMention: loans(first: 1, filter: {classification: SPECIAL_MENTION}) {\n    totalCount\n  }\n  substandard: loans(first: 1, filter: {classification: SUBSTANDARD}) {\n    totalCount\n  }\n  doubtful: loans(first: 1, filter: {classification: DOUBTFUL}) {\n    totalCount\n  }\n  loss: loans(first: 1, filter: {classification: LOSS}) {\n    totalCount\n  }\n}"): (typeof documents)["query DashboardClasses {\n  all: loans(first: 1) {\n    totalCount\n  }\n  normal: loans(first: 1, filter: {classification: NORMAL}) {\n    totalCount\n  }\n  specialMention: loans(first: 1, filter: {classification: SPECIAL_MENTION}) {\n    totalCount\n  }\n  substandard: loans(first: 1, filter: {classification: SUBSTANDARD}) {\n    totalCount\n  }\n  doubtful: loans(first: 1, filter: {classification: DOUBTFUL}) {\n    totalCount\n  }\n  loss: loans(first: 1, filter: {classification: LOSS}) {\n    totalCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyPermissions {\n  myPermissions {\n    roles\n    branchCode\n    types {\n      typeName\n      fields {\n        field\n        access\n      }\n    }\n    operations {\n      mutation\n      allowed\n    }\n  }\n}"): (typeof documents)["query MyPermissions {\n  myPermissions {\n    roles\n    branchCode\n    types {\n      typeName\n      fields {\n        field\n        access\n      }\n    }\n    operations {\n      mutation\n      allowed\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;